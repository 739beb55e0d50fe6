// The measurements behind `attnlab bench`: the machine's fp32 matrix-product
// peak (the denominator of MFU) and the training throughput of the standard
// workload (models/standard_workload.h). Both time LibTorch with whatever
// thread count the caller set (configure_environment).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "models/standard_workload.h"

namespace attnlab::train {

struct GemmMeasurement {
  int size = 0;       // n of an n x n by n x n product
  double gflops = 0;  // best of the timed repeats
};

// Times torch::mm on square fp32 matrices of each size for about
// `seconds_per_size` seconds each.
std::vector<GemmMeasurement> measure_gemm(
    const std::vector<int>& sizes, double seconds_per_size,
    const std::function<void(const GemmMeasurement&)>& on_size);

// The highest of the measurements, in FLOP/s.
double peak_flops(const std::vector<GemmMeasurement>& measurements);

struct TrainBenchOptions {
  models::WorkloadSizes sizes;
  models::Implementation implementation = models::Implementation::fused;
  int warmup = 3;  // untimed steps first (allocator and BLAS warm-up)
  int steps = 20;  // timed steps per repeat
  int repeats = 5;
  std::uint64_t seed = 1;
};

struct TrainBenchResult {
  std::vector<double> tokens_per_second;  // one per repeat; tokens = target tokens (B T)
  double median_tokens_per_second = 0;
  double flops_per_step = 0;  // models::training_flops
  double first_loss = 0;      // of the first step, and of the last
  double final_loss = 0;
  std::int64_t parameters = 0;
};

// Trains the standard workload with Adam (lr 1e-3), gradient-norm clipping
// at 1.0 and teacher forcing, timing `repeats` runs of `steps` steps.
// on_repeat(i, tokens_per_second) after each repeat.
TrainBenchResult bench_train(const TrainBenchOptions& options,
                             const std::function<void(int, double)>& on_repeat);

// One training step of the standard workload; returns the loss.
double workload_step(models::StandardWorkloadImpl& model, torch::optim::Optimizer& optimizer,
                     const models::WorkloadBatch& batch, models::Implementation implementation);

double median(std::vector<double> values);

}  // namespace attnlab::train
