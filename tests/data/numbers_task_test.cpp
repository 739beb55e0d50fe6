// The numbers task: ICU's spell-outs (German, English, ...), both
// directions, the held-out tenth, and a vocabulary complete at construction.
#include "data/numbers_task.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <set>

#include "tests/data/task_testing.h"

namespace attnlab::data {
namespace {

using testing::message_of;
using testing::text;

config::TaskSettings numbers_settings(const std::string& language = "en",
                                      const std::string& direction = "to_digits") {
  config::TaskSettings s;
  s.name = "numbers";
  s.language = language;
  s.direction = config::directions().at(direction);
  s.train_lengths = {1, 6};
  s.test_lengths = {1, 9};
  return s;
}

// The examples of `batches` training batches of 32 with lengths in `lengths`.
std::vector<Example> trained(const Task& task, std::array<int, 2> lengths, int batches,
                             std::uint64_t seed = 3) {
  Rng rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < batches; ++i) {
    for (auto& e : task.training_batch(rng, lengths, 32))
      out.push_back(std::move(e));
  }
  return out;
}

// The example whose source is `source` (ids), from its held-out split when
// it is in one, else from training batches of `length`.
std::optional<Example> find_example(const Task& task, const std::vector<std::int64_t>& source,
                                    int length) {
  // Enough draws to meet each of 9000 four-digit numbers several times.
  const Split split = split_of_source(source);
  std::vector<Example> pool = split == Split::kTrain ? trained(task, {length, length}, 2000)
                                                     : task.held_out(split, length, 2000, 1);
  for (auto& e : pool) {
    if (e.source == source) return std::move(e);
  }
  return std::nullopt;
}

TEST(NumbersTask, SpellsOutGermanEnglishFrenchJapanese) {
  // ICU writes soft hyphens between German morphemes ("ein\u00ADund\u00ADzwanzig");
  // they are invisible, and the task drops them.
  EXPECT_EQ(NumbersTask::spell_out("de", 21), "einundzwanzig");
  EXPECT_EQ(NumbersTask::spell_out("de", 1234), "eintausendzweihundertvierunddreißig");
  EXPECT_EQ(NumbersTask::spell_out("de", 1), "eins");  // the counting form
  EXPECT_EQ(NumbersTask::spell_out("de", 2000000), "zwei Millionen");
  EXPECT_EQ(NumbersTask::spell_out("en", 21), "twenty-one");
  EXPECT_EQ(NumbersTask::spell_out("en", 1234), "one thousand two hundred thirty-four");
  EXPECT_EQ(NumbersTask::spell_out("en", 0), "zero");
  EXPECT_EQ(NumbersTask::spell_out("fr", 71), "soixante-et-onze");
  EXPECT_EQ(NumbersTask::spell_out("ja", 1234), "千二百三十四");
  // A region falls back to its language's rules.
  EXPECT_EQ(NumbersTask::spell_out("en_US", 21), "twenty-one");
}

TEST(NumbersTask, ExamplesPairWordsWithTheirDigits) {
  for (const std::string direction : {"to_digits", "to_words"}) {
    const NumbersTask task(numbers_settings("de", direction));
    EXPECT_EQ(task.length_unit(), "digits");
    EXPECT_EQ(task.vocabulary().separator(), "");
    std::vector<Example> examples = trained(task, {1, 6}, 5);
    for (int length = 1; length <= 9; ++length) {
      for (auto& e : task.test_examples(length, 10, 1))
        examples.push_back(std::move(e));
    }
    for (const auto& e : examples) {
      const bool to_digits = direction == "to_digits";
      const std::string digits = text(task, to_digits ? e.target : e.source);
      const std::string words = text(task, to_digits ? e.source : e.target);
      ASSERT_EQ(static_cast<int>(digits.size()), e.length) << digits;
      ASSERT_EQ(digits.find_first_not_of("0123456789"), std::string::npos) << digits;
      ASSERT_TRUE(digits.size() == 1 || digits[0] != '0') << digits;
      EXPECT_EQ(words, NumbersTask::spell_out("de", std::stoll(digits))) << digits;
    }
  }
}

TEST(NumbersTask, KnownGermanAndEnglishExamples) {
  const NumbersTask german(numbers_settings("de"));
  const auto source = german.vocabulary().ids(utf8_characters("einundzwanzig"));
  const auto e = find_example(german, source, 2);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(text(german, e->target), "21");
  EXPECT_EQ(e->length, 2);

  const NumbersTask english(numbers_settings("en", "to_words"));
  const auto digits = english.vocabulary().ids({"1", "2", "3", "4"});
  const auto f = find_example(english, digits, 4);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(text(english, f->target), "one thousand two hundred thirty-four");
  EXPECT_EQ(f->length, 4);
}

TEST(NumbersTask, WhitespaceTokensAreWholeWordsFromAClosedList) {
  config::TaskSettings s = numbers_settings("en", "to_words");
  s.tokenize = config::Tokenize::kWhitespace;
  s.test_lengths = {1, 12};
  const NumbersTask task(s);
  const Vocabulary& v = task.vocabulary();
  EXPECT_EQ(v.separator(), " ");
  // The digits, zero to nineteen, eight tens, 72 hyphenated tens and units,
  // and hundred, thousand, million, billion, trillion, quadrillion.
  EXPECT_EQ(v.size(), 3 + 10 + 20 + 8 + 72 + 6);
  const auto f = find_example(task, v.ids({"1", "2", "3", "4"}), 4);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->target, v.ids({"one", "thousand", "two", "hundred", "thirty-four"}));
  std::vector<Example> examples = trained(task, {1, 6}, 5);
  for (int length = 1; length <= 12; ++length) {
    for (auto& e : task.test_examples(length, 50, 1))
      examples.push_back(std::move(e));
  }
  for (const auto& e : examples) {
    std::string digits;
    for (const auto id : e.source)
      digits += v.name(id);
    EXPECT_EQ(text(task, e.target), NumbersTask::spell_out("en", std::stoll(digits)));
    EXPECT_LE(static_cast<int>(e.target.size()), task.max_target_tokens(e.length)) << digits;
    EXPECT_EQ(static_cast<int>(e.source.size()), e.length);
  }
  // German joins number words into new ones: no closed list of words.
  s.language = "de";
  const std::string m = message_of([&] { NumbersTask german(s); });
  EXPECT_EQ(m.rfind("task.tokenize: whitespace needs number words from a closed list, but 'de' "
                    "joins them",
                    0),
            0u)
      << m;
  EXPECT_NE(m.find("use task.tokenize=char"), std::string::npos) << m;
}

TEST(NumbersTask, ItsDataIdentityNamesTheIcuAndCldrVersions) {
  // ICU's rule-based spell-out comes from CLDR data: another version may
  // spell numbers differently, so a run's identity includes both.
  const std::string identity = NumbersTask(numbers_settings("en")).data_identity();
  EXPECT_EQ(identity.rfind("ICU ", 0), 0u) << identity;
  EXPECT_NE(identity.find(", CLDR "), std::string::npos) << identity;
  EXPECT_EQ(identity.find("unknown"), std::string::npos) << identity;
  EXPECT_EQ(identity, icu_identity());
}

TEST(NumbersTask, SameSettingsSameData) {
  const NumbersTask a(numbers_settings("fr")), b(numbers_settings("fr"));
  EXPECT_EQ(a.vocabulary().size(), b.vocabulary().size());
  for (int id = 0; id < a.vocabulary().size(); ++id)
    ASSERT_EQ(a.vocabulary().name(id), b.vocabulary().name(id));
  for (int length = 1; length <= 9; ++length)
    EXPECT_TRUE(a.test_examples(length, 20, 7) == b.test_examples(length, 20, 7));
  EXPECT_TRUE(trained(a, {1, 6}, 10, 4) == trained(b, {1, 6}, 10, 4));
  EXPECT_FALSE(trained(a, {1, 6}, 10, 4) == trained(b, {1, 6}, 10, 5));
  EXPECT_FALSE(a.test_examples(9, 20, 7) == b.test_examples(9, 20, 8));
}

TEST(NumbersTask, LengthsAreDigitsWithinBounds) {
  const NumbersTask task(numbers_settings("en"));
  for (const auto& e : trained(task, {2, 5}, 100)) {
    ASSERT_GE(e.length, 2);
    ASSERT_LE(e.length, 5);
    ASSERT_EQ(static_cast<int>(e.target.size()), e.length);
  }
  for (int length = 1; length <= 9; ++length) {
    for (const auto& e : task.test_examples(length, 50, 1)) {
      ASSERT_EQ(e.length, length);
      ASSERT_EQ(static_cast<int>(e.target.size()), length);
    }
  }
  // Nine-digit numbers: 9 * 10^8 of them, so the held-out tenth is plentiful.
  EXPECT_EQ(task.test_examples(9, 50, 1).size(), 50u);
}

TEST(NumbersTask, HeldOutNumbersAreNeverTrainedOn) {
  for (const std::string direction : {"to_digits", "to_words"}) {
    const NumbersTask task(numbers_settings("en", direction));
    std::set<std::vector<std::int64_t>> evaluated;
    for (int length = 1; length <= 3; ++length) {
      for (const auto& e : task.test_examples(length, 500, 1)) {
        ASSERT_TRUE(is_held_out(e.source));
        evaluated.insert(e.source);
      }
    }
    // About a tenth of the 1000 numbers of up to three digits.
    EXPECT_GT(evaluated.size(), 60u);
    EXPECT_LT(evaluated.size(), 140u);
    for (const auto& e : trained(task, {1, 3}, 1000)) {
      ASSERT_FALSE(is_held_out(e.source));
      ASSERT_EQ(evaluated.count(e.source), 0u) << text(task, e.source);
    }
  }
}

TEST(NumbersTask, VocabularyAndBoundsCoverEveryLength) {
  // 2000 random numbers of every length in several scripts: no symbol is
  // missing (generate() would throw std::logic_error) and every example fits
  // the token bounds.
  const std::vector<std::pair<std::string, std::string>> tasks = {
      {"en", "to_digits"}, {"de", "to_digits"}, {"de", "to_words"},  {"fr", "to_digits"},
      {"ja", "to_digits"}, {"ru", "to_digits"}, {"ar", "to_digits"}, {"hi", "to_digits"}};
  for (const auto& [language, direction] : tasks) {
    {
      config::TaskSettings s = numbers_settings(language, direction);
      s.test_lengths = {1, 18};
      const NumbersTask task(s);
      ASSERT_EQ(task.max_digits(), 18) << language;
      const int size = task.vocabulary().size();
      for (int length = 1; length <= 18; ++length) {
        std::vector<Example> examples;
        ASSERT_NO_THROW(examples = trained(task, {length, length}, 63, length)) << language;
        ASSERT_GE(examples.size(), 2000u);
        for (const auto& e : examples) {
          ASSERT_LE(static_cast<int>(e.source.size()), task.max_source_tokens(length));
          ASSERT_LE(static_cast<int>(e.target.size()), task.max_target_tokens(length));
          for (const auto* ids : {&e.source, &e.target}) {
            for (const auto id : *ids) {
              ASSERT_GE(id, kFirstSymbol);
              ASSERT_LT(id, size);
            }
          }
        }
      }
      const bool to_digits = direction == "to_digits";
      EXPECT_EQ((to_digits ? task.max_target_tokens(7) : task.max_source_tokens(7)), 7);
    }
  }
}

TEST(NumbersTask, RejectsUnknownLanguagesAndLongNumbers) {
  // ICU would answer "xx" with the default locale's rules (English under LANG=C).
  const std::string unknown = message_of([] { NumbersTask task(numbers_settings("xx")); });
  EXPECT_NE(unknown.find("task.language: ICU has no spell-out rules for 'xx'"), std::string::npos)
      << unknown;
  EXPECT_NE(unknown.find("; valid: af, "), std::string::npos) << unknown;
  EXPECT_NE(unknown.find(", de, "), std::string::npos) << unknown;
  // Root's rules write digits.
  EXPECT_NE(message_of([] { NumbersTask task(numbers_settings("root")); }).find("task.language"),
            std::string::npos);
  EXPECT_NE(message_of([] { NumbersTask::spell_out("xx", 1); }).find("task.language"),
            std::string::npos);

  config::TaskSettings s = numbers_settings("en");
  s.test_lengths = {1, 19};
  EXPECT_EQ(message_of([&] { NumbersTask task(s); }),
            "task.test_lengths: numbers have 1 to 18 digits, got [1, 19]");
  s.test_lengths = {1, 18};
  s.train_lengths = {3, 25};
  EXPECT_EQ(message_of([&] { NumbersTask task(s); }),
            "task.train_lengths: numbers have 1 to 18 digits, got [3, 25]");
  // ICU 72 writes Khmer numbers from 10^12 on in digits.
  s = numbers_settings("km");
  s.test_lengths = {1, 13};
  EXPECT_EQ(message_of([&] { NumbersTask task(s); }),
            "task.test_lengths: numbers have 1 to 12 digits in 'km' (ICU writes longer ones with "
            "digits), got [1, 13]");
}

TEST(NumbersTask, ListsLanguagesWithSpellOutRules) {
  const auto languages = NumbersTask::languages();
  const std::set<std::string> known(languages.begin(), languages.end());
  for (const char* language : {"en", "de", "fr", "ja", "zh", "ru", "ar", "hi"})
    EXPECT_EQ(known.count(language), 1u) << language;
  EXPECT_EQ(known.count("root"), 0u);
}

TEST(NumbersTask, MadeByTheTaskTable) {
  config::TaskSettings s = numbers_settings("de");
  const auto task = make_task(s);
  EXPECT_EQ(task->length_unit(), "digits");
  s.language = "xx";
  EXPECT_NE(message_of([&] { make_task(s); }).find("task.language"), std::string::npos);
}

}  // namespace
}  // namespace attnlab::data
