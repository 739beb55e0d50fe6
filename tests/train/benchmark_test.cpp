// The benchmark's bookkeeping: what it counts, not how fast it is (tests
// never assert wall-clock limits).
#include "train/benchmark.h"

#include <gtest/gtest.h>

namespace attnlab::train {
namespace {

TEST(Benchmark, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median({}), 0);
}

TEST(Benchmark, TrainTimesEveryRepeatAndBothImplementationsLearnAlike) {
  TrainBenchOptions o;
  o.sizes.embedding = 16;
  o.sizes.hidden = 16;
  o.sizes.batch = 8;
  o.sizes.length = 6;
  o.warmup = 2;
  o.steps = 10;
  o.repeats = 3;
  std::vector<int> seen;
  const auto fused = bench_train(o, [&](int repeat, double tps) {
    seen.push_back(repeat);
    EXPECT_GT(tps, 0);
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(fused.tokens_per_second.size(), 3u);
  EXPECT_EQ(fused.median_tokens_per_second, median(fused.tokens_per_second));
  EXPECT_EQ(fused.flops_per_step, models::training_flops(o.sizes));
  // 32 (source) + 32 (target) embeddings of 16, encoder GRU 3 (16 16 + 16 16 + 2 16),
  // decoder cell 3 (32 16 + 16 16 + 2 16), W_a 16 16, output 32 32 + 32.
  EXPECT_EQ(fused.parameters, 1024 + 3 * 544 + 3 * 800 + 256 + 1056);
  EXPECT_LT(fused.final_loss, fused.first_loss);  // 32 steps of Adam at 1e-3 already help

  o.implementation = models::Implementation::modules;
  const auto modules = bench_train(o, {});
  EXPECT_NEAR(modules.first_loss, fused.first_loss, 1e-5);
  EXPECT_NEAR(modules.final_loss, fused.final_loss, 1e-3);
}

TEST(Benchmark, GemmReportsEachSizeAndThePeakIsTheBest) {
  std::vector<int> sizes;
  const auto measured =
      measure_gemm({32, 64}, 0.01, [&](const GemmMeasurement& m) { sizes.push_back(m.size); });
  EXPECT_EQ(sizes, (std::vector<int>{32, 64}));
  ASSERT_EQ(measured.size(), 2u);
  EXPECT_GT(measured[0].gflops, 0);
  EXPECT_EQ(peak_flops(measured), std::max(measured[0].gflops, measured[1].gflops) * 1e9);
  EXPECT_THROW(measure_gemm({0}, 0.01, {}), std::invalid_argument);
}

}  // namespace
}  // namespace attnlab::train
