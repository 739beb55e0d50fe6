// The dates task: ICU's renderings (French, Japanese, a proleptic Gregorian
// calendar everywhere), a fixed collection that does not depend on the seed,
// its hash split, and targets that are the ISO dates of their sources.
#include "data/dates_task.h"

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <regex>
#include <set>

#include "tests/data/task_testing.h"

namespace attnlab::data {
namespace {

using testing::message_of;
using testing::text;

config::TaskSettings dates_settings() {
  config::TaskSettings s;
  s.name = "dates";
  s.size = 6000;
  s.train_lengths = {6, 30};
  s.test_lengths = {6, 40};
  return s;
}

// Every held-out example: the test split of every length, then the dev split.
std::vector<Example> held_out(const Task& task) {
  std::vector<Example> out;
  for (int length = 1; length <= 60; ++length) {
    for (auto& e : task.test_examples(length, 1000000, 1))
      out.push_back(std::move(e));
  }
  for (auto& e : task.dev_split())
    out.push_back(std::move(e));
  return out;
}

// The training examples of `batches` batches of 64 over all lengths.
std::vector<Example> trained(const Task& task, int batches, std::uint64_t seed = 3) {
  Rng rng(seed);
  std::vector<Example> out;
  for (int i = 0; i < batches; ++i) {
    for (auto& e : task.training_batch(rng, {1, 100}, 64))
      out.push_back(std::move(e));
  }
  return out;
}

// The example whose source is `source`, looked up in the split its hash
// names (training examples by drawing batches of its length).
std::optional<Example> find_example(const CorpusTask& task, const std::string& source) {
  const int length = static_cast<int>(utf8_characters(source).size());
  std::vector<Example> pool;
  switch (CorpusTask::split_of(source)) {
    case CorpusTask::Split::kTest:
      pool = task.test_examples(length, 1000000, 1);
      break;
    case CorpusTask::Split::kDev:
      pool = task.dev_split();
      break;
    case CorpusTask::Split::kTrain: {
      Rng rng(1);
      for (int i = 0; i < 500; ++i) {
        for (auto& e : task.training_batch(rng, {length, length}, 64))
          pool.push_back(std::move(e));
      }
      break;
    }
  }
  for (const auto& e : pool) {
    if (text(task, e.source) == source) return e;
  }
  return std::nullopt;
}

TEST(DatesTask, RendersFrenchAndJapanese) {
  EXPECT_EQ(DatesTask::render("fr_FR", "long", 2024, 1, 5), "5 janvier 2024");
  EXPECT_EQ(DatesTask::render("fr_FR", "full", 2024, 1, 5), "vendredi 5 janvier 2024");
  EXPECT_EQ(DatesTask::render("fr_FR", "yMMMEd", 2024, 1, 5), "ven. 5 janv. 2024");
  EXPECT_EQ(DatesTask::render("ja_JP", "long", 2024, 1, 5), "2024年1月5日");
  EXPECT_EQ(DatesTask::render("ja_JP", "full", 2024, 1, 5), "2024年1月5日金曜日");
  EXPECT_EQ(DatesTask::render("ja_JP", "yMMdd", 2024, 1, 5), "2024/01/05");
  EXPECT_EQ(DatesTask::render("en_US", "yMd", 2024, 1, 5), "1/5/2024");
  EXPECT_EQ(DatesTask::render("de_DE", "yMMMMEEEEd", 2024, 1, 5), "Freitag, 5. Januar 2024");
  // ICU 72 (CLDR 42) puts a narrow no-break space before the Russian "г." (year).
  EXPECT_EQ(DatesTask::render("ru_RU", "long", 2024, 1, 5), "5 января 2024\u202fг.");
  // ICU lists zh_Hans_CN, not zh_CN; both are accepted.
  EXPECT_EQ(DatesTask::render("zh_CN", "full", 2024, 1, 5), "2024年1月5日星期五");
}

TEST(DatesTask, CalendarIsProlepticGregorianEverywhere) {
  // Thai counts Buddhist years by default (2567 for 2024).
  EXPECT_EQ(DatesTask::render("th_TH", "yMd", 2024, 1, 5), "5/1/2024");
  // ICU's Gregorian calendar is Julian before 1582-10-15 unless told otherwise
  // (1000-03-01 would come out as February 24).
  EXPECT_EQ(DatesTask::render("en_US", "full", 1000, 3, 1), "Saturday, March 1, 1000");
  EXPECT_EQ(DatesTask::render("en_US", "full", 1582, 10, 4), "Monday, October 4, 1582");
  // The full year, however short.
  EXPECT_EQ(DatesTask::render("en_US", "yMd", 987, 6, 7), "6/7/987");
}

TEST(DatesTask, RejectsUnknownLocalesFormatsAndDates) {
  config::TaskSettings s = dates_settings();
  s.locales = {"fr_FR", "xx_YY"};
  const std::string unknown = message_of([&] { DatesTask task(s); });
  EXPECT_NE(unknown.find("task.locales: unknown locale 'xx_YY'; valid: en_US, "), std::string::npos)
      << unknown;
  EXPECT_NE(unknown.find("(ICU knows "), std::string::npos) << unknown;
  // A known language with an unknown region suggests that language's locales.
  s.locales = {"fr_XX"};
  EXPECT_NE(message_of([&] { DatesTask task(s); }).find("valid: fr, fr_BE, "), std::string::npos);

  EXPECT_NE(message_of([] {
              DatesTask::render("xx_YY", "long", 2024, 1, 5);
            }).find("unknown locale 'xx_YY'"),
            std::string::npos);
  // kShort writes two-digit years ("1/5/24"), so it is not a format.
  EXPECT_NE(message_of([] {
              DatesTask::render("en_US", "short", 2024, 1, 5);
            }).find("unknown date format 'short'; valid: yMd, "),
            std::string::npos);
  EXPECT_NE(
      message_of([] { DatesTask::render("en_US", "long", 2023, 2, 29); }).find("no such date"),
      std::string::npos);
}

TEST(DatesTask, LengthsWithoutTrainingExamplesFail) {
  config::TaskSettings s = dates_settings();
  s.train_lengths = {1, 5};  // the shortest dates ("1.1.2024", "2024/1/5") have 8 characters
  const std::string message = message_of([&] { DatesTask task(s); });
  EXPECT_NE(message.find("task.train_lengths: no training examples of dates in en_US, "),
            std::string::npos)
      << message;
}

TEST(DatesTask, SameSettingsSameDataWhateverTheSeed) {
  const DatesTask a(dates_settings()), b(dates_settings());
  for (const auto split :
       {CorpusTask::Split::kTrain, CorpusTask::Split::kDev, CorpusTask::Split::kTest}) {
    EXPECT_EQ(a.size(split), b.size(split));
  }
  EXPECT_EQ(a.vocabulary().size(), b.vocabulary().size());
  EXPECT_TRUE(a.dev_split() == b.dev_split());
  for (int length = 6; length <= 40; ++length) {
    // The whole test split of a length, whatever the seed.
    EXPECT_TRUE(a.test_examples(length, 1000000, 1) == b.test_examples(length, 1000000, 2));
    EXPECT_TRUE(a.test_examples(length, 5, 7) == b.test_examples(length, 5, 7));
  }
  EXPECT_TRUE(trained(a, 20, 5) == trained(b, 20, 5));
  EXPECT_FALSE(trained(a, 20, 5) == trained(b, 20, 6));
}

TEST(DatesTask, LengthsAreSourceCharacters) {
  const DatesTask task(dates_settings());
  EXPECT_EQ(task.length_unit(), "characters");
  EXPECT_EQ(task.vocabulary().separator(), "");
  Rng rng(1);
  for (int i = 0; i < 100; ++i) {
    for (const auto& e : task.training_batch(rng, {10, 20}, 32)) {
      ASSERT_GE(e.length, 10);
      ASSERT_LE(e.length, 20);
      ASSERT_EQ(static_cast<int>(e.source.size()), e.length);
      ASSERT_EQ(e.target.size(), 10u);
    }
  }
  int evaluated = 0;
  for (int length = 1; length <= 60; ++length) {
    for (const auto& e : task.test_examples(length, 1000000, 1)) {
      ASSERT_EQ(e.length, length);
      ASSERT_EQ(static_cast<int>(e.source.size()), length);
      ASSERT_LE(length, task.max_source_tokens(length));
      ++evaluated;
    }
  }
  EXPECT_EQ(evaluated, static_cast<int>(task.size(CorpusTask::Split::kTest)));
  EXPECT_EQ(task.max_target_tokens(100), 10);
}

TEST(DatesTask, HeldOutDatesAreNeverTrainedOn) {
  const DatesTask task(dates_settings());
  const size_t total = task.size(CorpusTask::Split::kTrain) + task.size(CorpusTask::Split::kDev) +
                       task.size(CorpusTask::Split::kTest);
  // Repeated and ambiguous candidates are dropped, but most remain.
  EXPECT_GT(total, 5000u);
  EXPECT_LE(total, 6000u);
  EXPECT_GT(task.size(CorpusTask::Split::kTest), total / 20);
  EXPECT_LT(task.size(CorpusTask::Split::kTest), total / 5);

  std::set<std::string> evaluated;
  for (const auto& e : held_out(task)) {
    const std::string source = text(task, e.source);
    EXPECT_NE(CorpusTask::split_of(source), CorpusTask::Split::kTrain) << source;
    evaluated.insert(source);
  }
  EXPECT_EQ(evaluated.size(),
            task.size(CorpusTask::Split::kDev) + task.size(CorpusTask::Split::kTest));
  std::set<std::string> seen;
  for (const auto& e : trained(task, 500)) {
    const std::string source = text(task, e.source);
    ASSERT_EQ(evaluated.count(source), 0u) << source;
    seen.insert(source);
  }
  // 32000 draws see nearly all of the training split.
  EXPECT_GT(seen.size(), task.size(CorpusTask::Split::kTrain) * 9 / 10);
}

TEST(DatesTask, TargetsAreTheIsoDatesOfTheirSources) {
  config::TaskSettings s = dates_settings();
  s.size = 600;
  const DatesTask task(s);
  const std::regex iso("([0-9]{4})-([0-9]{2})-([0-9]{2})");
  std::vector<Example> examples = trained(task, 1);
  for (auto& e : held_out(task))
    examples.push_back(std::move(e));
  ASSERT_GT(examples.size(), 100u);
  examples.resize(100);  // each check renders the date in up to 72 ways
  for (const auto& e : examples) {
    const std::string source = text(task, e.source), target = text(task, e.target);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(target, m, iso)) << target;
    const int year = std::stoi(m[1]), month = std::stoi(m[2]), day = std::stoi(m[3]);
    ASSERT_GE(year, 1900);
    ASSERT_LE(year, 2099);
    // Some locale writes that date as the source, with some format.
    bool rendered = false;
    for (const auto& locale : s.locales) {
      for (const auto& format : DatesTask::formats()) {
        rendered = rendered || DatesTask::render(locale, format, year, month, day) == source;
      }
    }
    EXPECT_TRUE(rendered) << source << " -> " << target;
  }
}

TEST(DatesTask, FindsKnownFrenchAndJapaneseDates) {
  // One year in two locales, drawn densely: every rendering occurs.
  config::TaskSettings s = dates_settings();
  s.locales = {"fr_FR", "ja_JP"};
  s.years = {2024, 2024};
  s.size = 60000;
  const DatesTask task(s);
  const std::vector<std::pair<std::string, std::string>> known = {
      {"5 janvier 2024", "2024-01-05"},  {"vendredi 5 janvier 2024", "2024-01-05"},
      {"2024年1月5日", "2024-01-05"},    {"2024年1月5日金曜日", "2024-01-05"},
      {"29 février 2024", "2024-02-29"}, {"2024/12/31", "2024-12-31"},
  };
  for (const auto& [source, target] : known) {
    const auto e = find_example(task, source);
    ASSERT_TRUE(e.has_value()) << source;
    EXPECT_EQ(text(task, e->target), target) << source;
    EXPECT_EQ(e->length, static_cast<int>(utf8_characters(source).size()));
  }
}

TEST(DatesTask, DropsNumericDatesThatAnotherLocaleReadsSwapped) {
  // "1/5/2024" is January 5 in en_US and May 1 in es_ES: its target would
  // depend on a locale the source does not show.
  EXPECT_EQ(DatesTask::render("en_US", "yMd", 2024, 1, 5), "1/5/2024");
  EXPECT_EQ(DatesTask::render("es_ES", "yMd", 2024, 5, 1), "1/5/2024");
  config::TaskSettings s = dates_settings();
  s.locales = {"en_US", "es_ES"};
  s.years = {2024, 2024};
  s.size = 20000;
  const DatesTask task(s);
  std::vector<Example> examples = held_out(task);
  for (auto& e : trained(task, 300))
    examples.push_back(std::move(e));
  const std::regex numeric("([0-9]+)/([0-9]+)/2024");
  int kept = 0;
  for (const auto& e : examples) {
    const std::string source = text(task, e.source);
    std::smatch m;
    if (!std::regex_match(source, m, numeric)) continue;
    const int first = std::stoi(m[1]), second = std::stoi(m[2]);
    EXPECT_TRUE(first > 12 || second > 12 || first == second) << source;
    ++kept;
  }
  EXPECT_GT(kept, 100);  // the unambiguous numeric dates remain
}

bool valid_date(int year, int month, int day) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= kDays[month - 1] &&
         (month != 2 || day <= 28 || leap);
}

TEST(DatesTask, DropsEarlyDatesThatAnotherLocaleReadsWithTheYearMoved) {
  // In the years 1 to 31, "5/1/12" is 5-01-12 in ja_JP (y/M/d) and 12-01-05
  // in es_ES (d/M/y).
  EXPECT_EQ(DatesTask::render("ja_JP", "yMd", 5, 1, 12), "5/1/12");
  EXPECT_EQ(DatesTask::render("es_ES", "yMd", 12, 1, 5), "5/1/12");
  config::TaskSettings s = dates_settings();
  s.locales = {"ja_JP", "es_ES"};
  s.years = {1, 31};
  s.size = 20000;
  s.train_lengths = {1, 40};
  const DatesTask task(s);
  std::vector<Example> examples = held_out(task);
  for (auto& e : trained(task, 300))
    examples.push_back(std::move(e));
  const std::regex numeric("([1-9][0-9]*)/([1-9][0-9]*)/([1-9][0-9]*)");
  int kept = 0;
  for (const auto& e : examples) {
    const std::string source = text(task, e.source);
    std::smatch m;
    if (!std::regex_match(source, m, numeric)) continue;
    const int a = std::stoi(m[1]), b = std::stoi(m[2]), c = std::stoi(m[3]);
    EXPECT_FALSE(a != c && valid_date(a, b, c) && valid_date(c, b, a)) << source;
    ++kept;
  }
  EXPECT_GT(kept, 100);
}

TEST(DatesTask, VocabularyHoldsEverySymbol) {
  const DatesTask task(dates_settings());
  const int size = task.vocabulary().size();
  std::vector<Example> examples = held_out(task);
  for (auto& e : trained(task, 50))
    examples.push_back(std::move(e));
  for (const auto& e : examples) {
    for (const auto* ids : {&e.source, &e.target}) {
      for (const auto id : *ids) {
        ASSERT_GE(id, kFirstSymbol);
        ASSERT_LT(id, size);
      }
    }
  }
}

TEST(DatesTask, MadeByTheTaskTable) {
  config::TaskSettings s = dates_settings();
  s.size = 500;
  const auto task = make_task(s);
  EXPECT_EQ(task->length_unit(), "characters");
  s.locales = {"xx_YY"};
  EXPECT_NE(message_of([&] { make_task(s); }).find("task.locales"), std::string::npos);
}

}  // namespace
}  // namespace attnlab::data
