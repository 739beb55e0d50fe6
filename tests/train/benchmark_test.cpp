// The benchmark's bookkeeping: what it counts, not how fast it is (tests
// never assert wall-clock limits).
#include "train/benchmark.h"

#include <gtest/gtest.h>

#include "data/task.h"

namespace attnlab::train {
namespace {

TEST(Benchmark, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(median({3, 1, 2}), 2);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(median({}), 0);
}

TrainBenchOptions small() {
  TrainBenchOptions o;
  o.settings.model.embedding_size = 8;
  o.settings.model.hidden_size = 16;
  o.settings.attention.name = "general";
  o.settings.train.batch_size = 8;
  o.settings.task.train_lengths = {4, 4};
  o.settings.train.lr = 0.005;
  o.warmup = 2;
  o.steps = 10;
  o.repeats = 3;
  return o;
}

TEST(Benchmark, TrainTimesEveryRepeatOfTheLibraryModelAndCountsItsWork) {
  const TrainBenchOptions o = small();
  std::vector<int> seen;
  const auto fused = bench_train(o, [&](int repeat, double steps_per_second) {
    seen.push_back(repeat);
    EXPECT_GT(steps_per_second, 0);
  });
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(fused.engine, "fused");
  ASSERT_EQ(fused.steps_per_second.size(), 3u);
  EXPECT_EQ(fused.median_steps_per_second, median(fused.steps_per_second));
  // Reverse of 4 symbols: 5 target tokens (<eos> included) per example, 40 a step.
  for (size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(fused.tokens_per_second[i], 40 * fused.steps_per_second[i],
                1e-9 * fused.tokens_per_second[i]);
  // Per sequence (S 4, T 5, E 8, H 16, G 48, V): encoder 4 (2 8 48 + 2 16 48),
  // keys 4 (2 16 16), decoder 5 (2 (8 + 16) 48 + 2 16 48 + 2 16 V + attention
  // 2 4 16 + 2 4 16 + W_c 2 32 16); times 3 B.
  const double v = data::make_task(o.settings.task)->vocabulary().size();
  const double sequence = 4 * 2304.0 + 4 * 512.0 + 5 * (2304.0 + 1536 + 32 * v + 256 + 1024);
  EXPECT_DOUBLE_EQ(fused.flops_per_step, 3 * 8 * sequence);
  EXPECT_GT(fused.parameters, 0);
  EXPECT_LT(fused.final_loss, fused.first_loss);  // 30 steps of Adam already help

  TrainBenchOptions modules = o;
  modules.settings.train.engine = "modules";
  const auto reference = bench_train(modules, {});
  EXPECT_EQ(reference.engine, "modules");
  EXPECT_EQ(reference.parameters, fused.parameters);
  EXPECT_EQ(reference.flops_per_step, fused.flops_per_step);
  // The same two warm-up steps up to rounding.
  EXPECT_NEAR(reference.first_loss, fused.first_loss, 1e-4);
}

TEST(Benchmark, GemmReportsEachSizeAndThePeakIsTheBest) {
  std::vector<int> sizes;
  const auto measured = measure_gemm({32, 64}, 0.01, torch::kCPU, torch::kFloat,
                                     [&](const GemmMeasurement& m) { sizes.push_back(m.size); });
  EXPECT_EQ(sizes, (std::vector<int>{32, 64}));
  ASSERT_EQ(measured.size(), 2u);
  EXPECT_GT(measured[0].gflops, 0);
  EXPECT_EQ(peak_flops(measured), std::max(measured[0].gflops, measured[1].gflops) * 1e9);
  EXPECT_THROW(measure_gemm({0}, 0.01, torch::kCPU, torch::kFloat, {}), std::invalid_argument);
  EXPECT_GT(measure_gemm({32}, 0.01, torch::kCPU, torch::kBFloat16, {})[0].gflops, 0);
}

// On a GPU (ctest label `cuda`): the same bookkeeping, every repeat timed
// to the end of the device's work. Skipped where LibTorch sees no GPU.
TEST(CudaBenchmark, TrainsOnTheGpuAndCountsTheSameWork) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no usable GPU for LibTorch " TORCH_VERSION;
  TrainBenchOptions o = small();
  const auto cpu = bench_train(o, {});
  o.settings.device = "cuda";
  const auto gpu = bench_train(o, {});
  EXPECT_EQ(gpu.engine, "modules");
  ASSERT_EQ(gpu.steps_per_second.size(), 3u);
  EXPECT_GT(gpu.median_steps_per_second, 0);
  EXPECT_EQ(gpu.flops_per_step, cpu.flops_per_step);
  EXPECT_NEAR(gpu.first_loss, cpu.first_loss, 1e-3);
  EXPECT_GT(measure_gemm({256}, 0.01, torch::Device("cuda"), torch::kBFloat16, {})[0].gflops, 0);
}

}  // namespace
}  // namespace attnlab::train
