// The generated tasks (copy, reverse, sort, addition) and batching:
// determinism, length bounds, held-out evaluation data, right targets.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/hash.h"
#include "data/batch.h"
#include "data/task.h"

namespace attnlab::data {
namespace {

config::RunSettings small_settings(const std::string& task = "reverse") {
  config::RunSettings s;
  s.task.name = task;
  s.task.vocab_size = 10;
  s.task.train_lengths = {2, 6};
  s.task.eval_examples = 30;
  s.train.batch_size = 8;
  s.seed = 11;
  return s;
}

// Every example of 50 training batches.
std::vector<Example> many_training_examples(const Task& task, const config::RunSettings& s) {
  std::vector<Example> out;
  for (int step = 1; step <= 50; ++step) {
    for (auto& e : training_examples(task, s, step))
      out.push_back(std::move(e));
  }
  return out;
}

TEST(SymbolTasks, TargetsFollowTheirRule) {
  for (const std::string name : {"copy", "reverse", "sort"}) {
    const auto task = make_task(small_settings(name).task);
    EXPECT_EQ(task->vocabulary().size(), 13) << name;
    EXPECT_EQ(task->length_unit(), "symbols");
    for (const auto& e : many_training_examples(*task, small_settings(name))) {
      ASSERT_EQ(static_cast<int>(e.source.size()), e.length);
      std::vector<std::int64_t> expected = e.source;
      if (name == "reverse") std::reverse(expected.begin(), expected.end());
      if (name == "sort") std::sort(expected.begin(), expected.end());
      ASSERT_EQ(e.target, expected) << name;
      for (auto id : e.source) {
        ASSERT_GE(id, kFirstSymbol);
        ASSERT_LT(id, kFirstSymbol + 10);
      }
    }
  }
}

TEST(SymbolTasks, GoldAlignmentsLinkEachTargetToTheSourcePositionItCopies) {
  const Example e{{5, 3, 5, 4}, {}, 4};
  auto with_target = [&](const std::string& name) {
    Example x = e;
    x.target = name == "copy"      ? e.source
               : name == "reverse" ? std::vector<std::int64_t>{4, 5, 3, 5}
                                   : std::vector<std::int64_t>{3, 4, 5, 5};
    return make_task(small_settings(name).task)->gold_alignment(x);
  };
  using Links = std::vector<std::vector<int>>;
  EXPECT_EQ(with_target("copy"), (Links{{0}, {1}, {2}, {3}}));
  EXPECT_EQ(with_target("reverse"), (Links{{3}, {2}, {1}, {0}}));
  // Sorted 3 4 5 5: the first 5 is sure at 0 (a stable sort), possible at 2.
  EXPECT_EQ(with_target("sort"), (Links{{1}, {3}, {0, 2}, {2, 0}}));
  // The other tasks know no alignment by construction.
  EXPECT_TRUE(make_task(small_settings("addition").task)->gold_alignment(e).empty());
  // Every generated example gets one link list per target token, each a real position.
  for (const std::string name : {"copy", "reverse", "sort"}) {
    const auto task = make_task(small_settings(name).task);
    for (const auto& x : many_training_examples(*task, small_settings(name))) {
      const auto links = task->gold_alignment(x);
      ASSERT_EQ(links.size(), x.target.size()) << name;
      for (size_t t = 0; t < links.size(); ++t)
        for (const int s : links[t])
          ASSERT_EQ(x.source[static_cast<size_t>(s)], x.target[t]);
    }
  }
}

// The decimal number written by `ids` from `first` to before `last`.
long long number(const Vocabulary& v, const std::vector<std::int64_t>& ids, size_t first,
                 size_t last) {
  long long n = 0;
  for (size_t i = first; i < last; ++i)
    n = 10 * n + std::stoi(v.name(ids[i]));
  return n;
}

TEST(AdditionTask, TargetIsTheSumOfTwoOperandsOfLengthDigits) {
  auto s = small_settings("addition");
  s.task.train_lengths = {1, 9};
  const auto task = make_task(s.task);
  const Vocabulary& v = task->vocabulary();
  EXPECT_EQ(task->length_unit(), "digits");
  EXPECT_EQ(v.render(v.ids({"1", "2", "+", "9", "9"})), "12+99");
  for (const auto& e : many_training_examples(*task, s)) {
    const size_t plus = static_cast<size_t>(e.length);
    ASSERT_EQ(e.source.size(), 2 * plus + 1);
    ASSERT_EQ(v.name(e.source[plus]), "+");
    const long long a = number(v, e.source, 0, plus),
                    b = number(v, e.source, plus + 1, e.source.size());
    ASSERT_EQ(number(v, e.target, 0, e.target.size()), a + b) << v.render(e.source);
    ASSERT_EQ(std::to_string(a).size(), plus);  // no leading zeros
    ASSERT_LE(static_cast<int>(e.target.size()), task->max_target_tokens(e.length));
  }
  // Lengths past what fits in 64 bits still add right (digit by digit).
  const auto long_ones = task->test_examples(30, 5, 1);
  ASSERT_FALSE(long_ones.empty());
  EXPECT_EQ(long_ones[0].source.size(), 61u);
}

TEST(GeneratedTasks, SameSeedSameDataWhateverTheThreadCount) {
  const auto task = make_task(small_settings().task);
  torch::set_num_threads(1);
  const auto one = training_examples(*task, small_settings(), 17);
  torch::set_num_threads(2);
  const auto two = training_examples(*task, small_settings(), 17);
  ASSERT_EQ(one.size(), 8u);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one[i].source, two[i].source);
  // Every example of a training batch has the same length (bucketed), in range.
  for (const auto& e : one) {
    EXPECT_EQ(e.source.size(), one[0].source.size());
    EXPECT_GE(e.length, 2);
    EXPECT_LE(e.length, 6);
  }
  // Steps differ from each other, and seeds from each other.
  EXPECT_NE(training_examples(*task, small_settings(), 18)[0].source, one[0].source);
  auto other_seed = small_settings();
  other_seed.seed = 12;
  EXPECT_NE(training_examples(*task, other_seed, 17)[0].source, one[0].source);
  const auto eval_a = evaluation_examples(*task, small_settings(), 4);
  const auto eval_b = evaluation_examples(*task, small_settings(), 4);
  ASSERT_EQ(eval_a.size(), 30u);
  EXPECT_EQ(eval_a[29].source, eval_b[29].source);
}

TEST(GeneratedTasks, EvaluationExamplesAreHeldOutDistinctAndNeverTrainedOn) {
  for (const std::string name : {"copy", "reverse", "sort", "addition"}) {
    const auto s = small_settings(name);
    const auto task = make_task(s.task);
    std::set<std::vector<std::int64_t>> trained;
    for (const auto& e : many_training_examples(*task, s)) {
      ASSERT_FALSE(is_held_out(e.source)) << name;
      trained.insert(e.source);
    }
    for (int length = 2; length <= 8; ++length) {
      const auto test = evaluation_examples(*task, s, length);
      std::set<std::vector<std::int64_t>> distinct;
      for (const auto& e : test) {
        EXPECT_TRUE(is_held_out(e.source)) << name;
        EXPECT_EQ(e.length, length);
        EXPECT_EQ(trained.count(e.source), 0u) << name << " trained on a test example";
        distinct.insert(e.source);
      }
      EXPECT_EQ(distinct.size(), test.size()) << name;
    }
  }
}

TEST(GeneratedTasks, DevAndTestAreDisjointTenthsThatTrainingNeverSees) {
  for (const std::string name : {"copy", "reverse", "sort", "addition"}) {
    const auto s = small_settings(name);
    const auto task = make_task(s.task);
    std::set<std::vector<std::int64_t>> trained;
    for (const auto& e : many_training_examples(*task, s))
      trained.insert(e.source);
    for (int length = 3; length <= 6; ++length) {
      const auto dev = development_examples(*task, s, length, 40);
      const auto test = evaluation_examples(*task, s, length);
      ASSERT_EQ(dev.size(), 40u) << name;
      std::set<std::vector<std::int64_t>> test_sources;
      for (const auto& e : test) {
        EXPECT_EQ(split_of_source(e.source), Split::kTest) << name;
        test_sources.insert(e.source);
      }
      for (const auto& e : dev) {
        EXPECT_EQ(split_of_source(e.source), Split::kDev) << name;
        EXPECT_EQ(e.length, length);
        EXPECT_EQ(trained.count(e.source), 0u) << name << " trained on a dev example";
        EXPECT_EQ(test_sources.count(e.source), 0u) << name << ": a dev example is also a test one";
      }
    }
    // The same seed gives the same dev examples; they come from their own stream.
    EXPECT_TRUE(development_examples(*task, s, 5, 10) == development_examples(*task, s, 5, 10));
  }
  // Each holds about a tenth of all sources: of the 1000 of length 3 over 10 symbols,
  std::map<Split, int> counts;
  for (std::int64_t a = 3; a < 13; ++a)
    for (std::int64_t b = 3; b < 13; ++b)
      for (std::int64_t c = 3; c < 13; ++c)
        ++counts[split_of_source({a, b, c})];
  EXPECT_GT(counts[Split::kDev], 70);
  EXPECT_LT(counts[Split::kDev], 130);
  EXPECT_GT(counts[Split::kTest], 70);
  EXPECT_LT(counts[Split::kTest], 130);
}

TEST(GeneratedTasks, ALengthWithFewExamplesGivesFewerTestExamples) {
  // Length 1 of 10 symbols has 10 sources, about one of them held out.
  const auto task = make_task(small_settings("copy").task);
  const auto test = task->test_examples(1, 30, 5);
  EXPECT_LT(test.size(), 10u);
  for (const auto& e : test)
    EXPECT_TRUE(is_held_out(e.source));
}

TEST(GeneratedTasks, GoldenValuesPinTheGeneratorAndTheSplit) {
  // Pinned so that data never changes silently between versions.
  Rng rng(42);
  EXPECT_EQ(rng.next(), 13679457532755275413ULL);
  EXPECT_EQ(Rng(42).below(10), 13679457532755275413ULL % 10);
  EXPECT_EQ(base::fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(base::fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  const auto task = make_task(small_settings().task);
  const auto e = task->test_examples(5, 1, 7);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(task->vocabulary().render(e[0].source), "d g h e e");
}

TEST(Batch, PadsAndMasks) {
  const std::vector<Example> examples = {{{3, 4, 5}, {5, 4, 3}, 3}, {{6}, {6}, 1}};
  const Batch b = make_batch(examples);
  EXPECT_EQ(b.source.sizes(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(b.source[1][0].item<std::int64_t>(), 6);
  EXPECT_EQ(b.source[1][1].item<std::int64_t>(), kPad);
  EXPECT_EQ(b.source_lengths[1].item<std::int64_t>(), 1);
  EXPECT_FALSE(b.source_mask[1][1].item<bool>());
  EXPECT_TRUE(b.source_mask[0][2].item<bool>());
  EXPECT_EQ(b.target_in.sizes(), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(b.target_in[0][0].item<std::int64_t>(), kBos);
  EXPECT_EQ(b.target_in[0][1].item<std::int64_t>(), 5);
  EXPECT_EQ(b.target_out[0][3].item<std::int64_t>(), kEos);
  EXPECT_EQ(b.target_out[1][1].item<std::int64_t>(), kEos);
  EXPECT_EQ(b.target_out[1][2].item<std::int64_t>(), kPad);
  EXPECT_EQ(b.target_mask.sum().item<std::int64_t>(), 4 + 2);
}

TEST(Vocabulary, AddsFindsAndRendersWithItsSeparator) {
  Vocabulary chars("");
  EXPECT_EQ(chars.size(), 3);
  const auto a = chars.add("é");
  EXPECT_EQ(a, kFirstSymbol);
  EXPECT_EQ(chars.add("é"), a);
  EXPECT_EQ(chars.add("x"), a + 1);
  EXPECT_FALSE(chars.find("y").has_value());
  EXPECT_EQ(chars.render({a, a + 1, kEos, a}), "éx");
  EXPECT_EQ(Vocabulary(3).render({3, 4, 5}), "a b c");
  EXPECT_EQ(utf8_characters("añ日\xff"), (std::vector<std::string>{"a", "ñ", "日", "\xff"}));
}

}  // namespace
}  // namespace attnlab::data
