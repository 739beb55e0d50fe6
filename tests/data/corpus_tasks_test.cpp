// The corpus tasks: CMUdict in Festival's format (a fixture, and the real
// file when Debian's festlex-cmu is installed) and user TSV files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "config/sha256.h"
#include "data/g2p_cmudict_task.h"
#include "data/tsv_task.h"
#include "tests/data/task_testing.h"

namespace attnlab::data {
namespace {

using testing::message_of;

const std::filesystem::path kCorpora = std::filesystem::path(ATTNLAB_TEST_DATA) / "corpora";

config::TaskSettings g2p_settings(const std::string& path) {
  config::TaskSettings s;
  s.name = "g2p_cmudict";
  s.path = path;
  s.train_lengths = {1, 30};
  s.test_lengths = {1, 30};
  return s;
}

// Every example of a corpus task: its test examples of every length, its
// dev split, and the training examples of 200 batches.
struct Seen {
  std::vector<Example> test, dev;
  std::set<std::vector<std::int64_t>> trained;
};

Seen everything(const Task& task) {
  Seen seen;
  for (int length = 1; length <= 30; ++length) {
    for (auto& e : task.test_examples(length, 1000000, 1))
      seen.test.push_back(std::move(e));
  }
  seen.dev = task.dev_split();
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    for (const auto& e : task.training_batch(rng, {1, 30}, 16))
      seen.trained.insert(e.source);
  }
  return seen;
}

TEST(G2pCmudict, ReadsFestivalEntriesLowerCasedWithoutStress) {
  const G2pCmudictTask task(g2p_settings((kCorpora / "cmudict_small.out").string()));
  const Vocabulary& v = task.vocabulary();
  EXPECT_EQ(task.length_unit(), "letters");
  // 100 sampled entries plus "Aardvark" (the later "aardvark" is the same word).
  EXPECT_EQ(task.size(CorpusTask::Split::kTrain) + task.size(CorpusTask::Split::kDev) +
                task.size(CorpusTask::Split::kTest),
            101u);
  // "aardvark" hashes into the training split; its first pronunciation is kept.
  ASSERT_EQ(CorpusTask::split_of("aardvark"), CorpusTask::Split::kTrain);
  const Seen seen = everything(task);
  const auto word = v.ids({"a", "a", "r", "d", "v", "a", "r", "k"});
  EXPECT_EQ(seen.trained.count(word), 1u);
  Rng rng(1);
  bool found = false;
  for (int i = 0; i < 2000 && !found; ++i) {
    for (const auto& e : task.training_batch(rng, {8, 8}, 4)) {
      if (e.source != word) continue;
      EXPECT_EQ(v.render(e.target), "aa r d v aa r k");
      // The second entry's pronunciation is right too.
      ASSERT_EQ(e.alternatives.size(), 1u);
      EXPECT_EQ(v.render(e.alternatives[0]), "ae r d v aa r k");
      EXPECT_EQ(e.length, 8);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(G2pCmudict, Cmu39MergesTheReducedVowelIntoAh) {
  auto settings = g2p_settings((kCorpora / "cmudict_small.out").string());
  const G2pCmudictTask festival(settings);
  EXPECT_TRUE(festival.vocabulary().find("ax").has_value());
  settings.phonemes = "cmu39";
  const G2pCmudictTask task(settings);
  const Vocabulary& v = task.vocabulary();
  EXPECT_FALSE(v.find("ax").has_value());
  EXPECT_EQ(v.size(), festival.vocabulary().size() - 1);
  // "a" and "abacus", wherever they fell.
  const Seen seen = everything(task);
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> found;
  for (const auto* held : {&seen.test, &seen.dev}) {
    for (const auto& e : *held) {
      std::vector<std::string> alternatives;
      for (const auto& a : e.alternatives)
        alternatives.push_back(v.render(a));
      found[v.render(e.source)] = {v.render(e.target), alternatives};
    }
  }
  const auto pronounced = [&](const std::string& word) {
    if (found.count(word) != 0) return found[word];
    Rng rng(1);
    const auto source = v.ids(utf8_characters(word));
    const int length = static_cast<int>(source.size());
    for (int i = 0; i < 5000; ++i) {
      for (const auto& e : task.training_batch(rng, {length, length}, 8)) {
        if (e.source != source) continue;
        std::vector<std::string> alternatives;
        for (const auto& a : e.alternatives)
          alternatives.push_back(v.render(a));
        return std::make_pair(v.render(e.target), alternatives);
      }
    }
    return std::make_pair(std::string("not found"), std::vector<std::string>{});
  };
  EXPECT_EQ(pronounced("a").first, "ah");
  EXPECT_EQ(pronounced("abacus").first, "ae b ah k ah s");
  // Both of "aardvark"'s pronunciations, neither of them reduced.
  EXPECT_EQ(pronounced("aardvark"), std::make_pair(std::string("aa r d v aa r k"),
                                                   std::vector<std::string>{"ae r d v aa r k"}));
}

TEST(G2pCmudict, SplitIsByWordAndDisjoint) {
  const G2pCmudictTask task(g2p_settings((kCorpora / "cmudict_small.out").string()));
  const Seen seen = everything(task);
  EXPECT_EQ(seen.test.size(), task.size(CorpusTask::Split::kTest));
  EXPECT_EQ(seen.dev.size(), task.size(CorpusTask::Split::kDev));
  for (const auto* held : {&seen.test, &seen.dev}) {
    for (const auto& e : *held) {
      EXPECT_EQ(seen.trained.count(e.source), 0u) << task.vocabulary().render(e.source);
      EXPECT_EQ(static_cast<int>(e.source.size()), e.length);
    }
  }
  // Every training example drawn came from the training split.
  EXPECT_LE(seen.trained.size(), task.size(CorpusTask::Split::kTrain));
}

TEST(G2pCmudict, MissingOrMalformedFilesAreClearErrors) {
  const std::string missing =
      message_of([] { G2pCmudictTask(g2p_settings("/nonexistent/cmu.out")); });
  EXPECT_NE(missing.find("/nonexistent/cmu.out"), std::string::npos) << missing;
  auto default_path = g2p_settings("");
  if (!std::filesystem::exists(kCmudictPath)) {
    const std::string m = message_of([&] { G2pCmudictTask task(default_path); });
    EXPECT_NE(m.find("festlex-cmu"), std::string::npos) << m;
  }
  const std::string bad = (kCorpora / "cmudict_bad.out").string();
  const std::string m = message_of([&] { G2pCmudictTask task(g2p_settings(bad)); });
  EXPECT_NE(m.find(bad + ":3:"), std::string::npos) << m;
  EXPECT_NE(m.find("not a Festival lexicon entry"), std::string::npos) << m;
}

TEST(G2pCmudict, TheRealDictionaryWhenInstalled) {
  if (!std::filesystem::exists(kCmudictPath)) {
    GTEST_SKIP() << kCmudictPath << " is missing (Debian package festlex-cmu)";
  }
  const G2pCmudictTask task(g2p_settings(""));
  const size_t train = task.size(CorpusTask::Split::kTrain);
  const size_t dev = task.size(CorpusTask::Split::kDev);
  const size_t test = task.size(CorpusTask::Split::kTest);
  EXPECT_EQ(train + dev + test, 105664u);  // distinct words, case folded
  EXPECT_NEAR(static_cast<double>(test) / (train + dev + test), 0.10, 0.01);
  EXPECT_NEAR(static_cast<double>(dev) / (train + dev + test), 0.10, 0.01);
  EXPECT_EQ(task.max_source_tokens(100), 22);  // the longest word
  // 26 letters and 40 phonemes, 16 of which are spelled like a letter.
  EXPECT_EQ(task.vocabulary().size(), 3 + 26 + 40 - 16);
  // Words listed with two different pronunciations (one per part of speech).
  size_t listed_twice = 0;
  for (const auto& e : task.dev_split())
    listed_twice += e.alternatives.size();
  EXPECT_GT(listed_twice, 5u);
  EXPECT_LT(listed_twice, 60u);
  auto settings = g2p_settings("");
  settings.phonemes = "cmu39";
  EXPECT_EQ(G2pCmudictTask(settings).vocabulary().size(), 3 + 26 + 39 - 16);
}

config::TaskSettings tsv_settings(const std::string& file, int min_frequency = 1) {
  config::TaskSettings s;
  s.name = "tsv";
  s.path = (kCorpora / file).string();
  s.tokenize = config::Tokenize::kWhitespace;
  s.min_frequency = min_frequency;
  s.train_lengths = {1, 50};
  return s;
}

TEST(TsvTask, WordsVocabularyFromTrainingWithMinimumFrequency) {
  // pairs.tsv: "the cat" and "a dog" hash into test, "my cat" into dev, the
  // rest into train; the second "the dog" line repeats a source and is dropped.
  const TsvTask task(tsv_settings("pairs.tsv", 2));
  const Vocabulary& v = task.vocabulary();
  EXPECT_EQ(task.length_unit(), "words");
  EXPECT_EQ(task.size(CorpusTask::Split::kTrain), 6u);
  EXPECT_EQ(task.size(CorpusTask::Split::kDev), 1u);
  EXPECT_EQ(task.size(CorpusTask::Split::kTest), 2u);
  // Training words seen twice or more, in order of first use, after <unk>.
  EXPECT_EQ(v.size(), 3 + 1 + 10);
  EXPECT_EQ(v.name(3), "<unk>");
  EXPECT_EQ(v.name(4), "the");
  EXPECT_EQ(v.name(13), "rouge");
  const auto test = task.test_examples(2, 10, 1);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(v.render(test[0].source), "the cat");
  EXPECT_EQ(v.render(test[0].target), "le chat");
  EXPECT_EQ(v.render(test[1].target), "un chien");
  // "my" is rare: <unk> in the dev split.
  ASSERT_EQ(task.dev_split().size(), 1u);
  EXPECT_EQ(v.render(task.dev_split()[0].source), "<unk> cat");
  EXPECT_EQ(TsvTask(tsv_settings("pairs.tsv", 1)).vocabulary().size(), 3 + 1 + 16);
}

TEST(TsvTask, CharactersAreTokens) {
  auto s = tsv_settings("pairs.tsv");
  s.tokenize = config::Tokenize::kCharacters;
  const TsvTask task(s);
  EXPECT_EQ(task.length_unit(), "characters");
  const auto test = task.test_examples(7, 10, 1);  // "the cat"
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(task.vocabulary().render(test[0].target), "le chat");
  EXPECT_EQ(test[0].source.size(), 7u);
}

TEST(TsvTask, TheDataIdentityIsTheDigestOfTheFileBytes) {
  const auto file = std::filesystem::temp_directory_path() / "attnlab_identity.tsv";
  std::string bytes;
  for (char c = 'a'; c <= 't'; ++c)
    bytes += std::string(2, c) + "\t" + std::string(3, c) + "\n";
  std::ofstream(file) << bytes;
  auto s = tsv_settings("");
  s.path = file.string();
  s.tokenize = config::Tokenize::kCharacters;
  const std::string first = TsvTask(s).data_identity();
  EXPECT_EQ(first, "sha256:" + config::sha256_hex(bytes));
  // The same settings over edited content: another identity.
  bytes[3] = 'x';
  std::ofstream(file) << bytes;
  EXPECT_NE(TsvTask(s).data_identity(), first);
  std::filesystem::remove(file);
  // Tasks that read nothing and call no text library have none.
  config::TaskSettings reverse;
  EXPECT_EQ(make_task(reverse)->data_identity(), "");
}

TEST(TsvTask, MalformedLinesNameFileAndLine) {
  const std::string no_tab = (kCorpora / "no_tab.tsv").string();
  std::string m = message_of([&] { TsvTask task(tsv_settings("no_tab.tsv")); });
  EXPECT_NE(m.find(no_tab + ":2: expected source<TAB>target"), std::string::npos) << m;
  const auto file = std::filesystem::temp_directory_path() / "attnlab_empty_side.tsv";
  std::ofstream(file) << "a\tb\n\tc\n";
  auto s = tsv_settings("");
  s.path = file.string();
  m = message_of([&] { TsvTask task(s); });
  EXPECT_NE(m.find(file.string() + ":2: the source side is empty"), std::string::npos) << m;
  std::ofstream(file) << "a\tb\tc\n";
  m = message_of([&] { TsvTask task(s); });
  EXPECT_NE(m.find(":1: expected source<TAB>target (exactly one tab), got more than one tab"),
            std::string::npos)
      << m;
  std::ofstream(file) << "\n\n";
  m = message_of([&] { TsvTask task(s); });
  EXPECT_NE(m.find("holds no source<TAB>target lines"), std::string::npos) << m;
  std::filesystem::remove(file);
  s.path = "/nonexistent.tsv";
  m = message_of([&] { TsvTask task(s); });
  EXPECT_NE(m.find("task.path: cannot read /nonexistent.tsv"), std::string::npos) << m;
}

}  // namespace
}  // namespace attnlab::data
