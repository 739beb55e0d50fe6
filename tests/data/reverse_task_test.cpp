// The reverse task and batching: determinism, independence from thread
// count, and padding/masks.
#include "data/reverse_task.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "data/batch.h"

namespace attnlab::data {
namespace {

config::RunSettings small_settings() {
  config::RunSettings s;
  s.task.vocab_size = 10;
  s.task.train_lengths = {2, 6};
  s.task.eval_examples = 30;
  s.train.batch_size = 8;
  s.seed = 11;
  return s;
}

TEST(ReverseTask, TargetIsTheSourceReversed) {
  ReverseTask task(10);
  Rng rng(5);
  const Example e = task.sample(rng, 7);
  ASSERT_EQ(e.source.size(), 7u);
  EXPECT_EQ(e.target, std::vector<std::int64_t>(e.source.rbegin(), e.source.rend()));
  for (auto id : e.source) {
    EXPECT_GE(id, kFirstSymbol);
    EXPECT_LT(id, kFirstSymbol + 10);
  }
  EXPECT_EQ(task.vocabulary().size(), 13);
}

TEST(ReverseTask, SameSeedSameDataWhateverTheThreadCount) {
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
    EXPECT_GE(e.source.size(), 2u);
    EXPECT_LE(e.source.size(), 6u);
  }
  // Steps differ from each other, and evaluation data differs from training.
  EXPECT_NE(training_examples(*task, small_settings(), 18)[0].source, one[0].source);
  auto other_seed = small_settings();
  other_seed.seed = 12;
  EXPECT_NE(training_examples(*task, other_seed, 17)[0].source, one[0].source);
  const auto eval_a = evaluation_examples(*task, small_settings(), 4);
  const auto eval_b = evaluation_examples(*task, small_settings(), 4);
  ASSERT_EQ(eval_a.size(), 30u);
  EXPECT_EQ(eval_a[29].source, eval_b[29].source);
}

TEST(ReverseTask, GoldenValuesPinTheGenerator) {
  // Pinned so that data never changes silently between versions.
  Rng rng(42);
  EXPECT_EQ(rng.next(), 13679457532755275413ULL);
  EXPECT_EQ(Rng(42).below(10), 13679457532755275413ULL % 10);
}

TEST(Batch, PadsAndMasks) {
  const std::vector<Example> examples = {{{3, 4, 5}, {5, 4, 3}}, {{6}, {6}}};
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

}  // namespace
}  // namespace attnlab::data
