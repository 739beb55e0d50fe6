// The measurements behind `attnlab bench`: a device's matrix-product peak
// (the denominator of MFU) and the training throughput of any config of the
// library's models, trained exactly as `attnlab run` trains it
// (Trainer::train_steps), on the CPU or a GPU. Both time LibTorch with
// whatever thread count the caller set (configure_environment); on a GPU
// every timed region ends with the device's work done.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/settings.h"

namespace attnlab::train {

struct GemmMeasurement {
  int size = 0;       // n of an n x n by n x n product
  double gflops = 0;  // best of the timed repeats
};

// Times torch::mm on square matrices of `dtype` (fp32 or bf16) on `device`
// for about `seconds_per_size` seconds per size.
std::vector<GemmMeasurement> measure_gemm(
    const std::vector<int>& sizes, double seconds_per_size, const c10::Device& device,
    c10::ScalarType dtype, const std::function<void(const GemmMeasurement&)>& on_size);

// The highest of the measurements, in FLOP/s.
double peak_flops(const std::vector<GemmMeasurement>& measurements);

struct TrainBenchOptions {
  config::RunSettings settings;  // model, task and training protocol
  int warmup = 20;               // untimed steps first (allocator and BLAS warm-up)
  int steps = 200;               // timed steps per repeat
  int repeats = 3;
};

struct TrainBenchResult {
  std::vector<double> steps_per_second;  // one per repeat
  double median_steps_per_second = 0;
  std::vector<double> tokens_per_second;  // target tokens, <eos> included, padding not
  double median_tokens_per_second = 0;
  double flops_per_step = 0;  // Seq2SeqModelImpl::training_flops, mean of the timed steps
  double first_loss = 0;      // mean of the warm-up steps, and of the last repeat
  double final_loss = 0;
  std::int64_t parameters = 0;
  std::string engine;  // 'fused' or 'modules'
};

// Trains settings' model on settings.device (resolved: "cpu", "cuda" or
// "cuda:N"), timing `repeats` runs of `steps`
// steps after `warmup` untimed ones. on_repeat(i, steps_per_second) after
// each repeat.
TrainBenchResult bench_train(const TrainBenchOptions& options,
                             const std::function<void(int, double)>& on_repeat);

double median(std::vector<double> values);

}  // namespace attnlab::train
