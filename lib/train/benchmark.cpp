// Timing uses a steady clock around whole repeats, the loss read back at
// their end included, so that asynchronous work cannot leak out of them.
#include "train/benchmark.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "train/trainer.h"

namespace attnlab::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Waits for the GPU's queued work; the CPU's is done when a call returns.
void finish(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::vector<GemmMeasurement> measure_gemm(
    const std::vector<int>& sizes, double seconds_per_size, const torch::Device& device,
    torch::ScalarType dtype, const std::function<void(const GemmMeasurement&)>& on_size) {
  std::vector<GemmMeasurement> out;
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  for (const int n : sizes) {
    if (n < 1)
      throw std::invalid_argument("gemm: sizes must be positive, got " + std::to_string(n));
    const auto a = torch::randn({n, n}, options), b = torch::randn({n, n}, options);
    auto c = torch::empty({n, n}, options);
    at::mm_out(c, a, b);  // warm-up
    finish(device);
    GemmMeasurement m{n, 0};
    const double flops = 2.0 * n * n * n;
    const auto start = Clock::now();
    do {
      const auto t0 = Clock::now();
      at::mm_out(c, a, b);
      finish(device);
      m.gflops = std::max(m.gflops, flops / seconds_since(t0) / 1e9);
    } while (seconds_since(start) < seconds_per_size);
    if (on_size) on_size(m);
    out.push_back(m);
  }
  return out;
}

double peak_flops(const std::vector<GemmMeasurement>& measurements) {
  double best = 0;
  for (const auto& m : measurements)
    best = std::max(best, m.gflops);
  return best * 1e9;
}

TrainBenchResult bench_train(const TrainBenchOptions& options,
                             const std::function<void(int, double)>& on_repeat) {
  if (options.steps < 1 || options.repeats < 1 || options.warmup < 0) {
    throw std::invalid_argument("bench train: needs steps >= 1, repeats >= 1 and warmup >= 0");
  }
  const torch::Device device(options.settings.device);
  Trainer trainer(options.settings, device);
  TrainBenchResult result;
  result.parameters = trainer.parameter_count();
  result.engine = trainer.engine();
  int step = 1;
  if (options.warmup > 0) {
    result.first_loss = trainer.train_steps(step, options.warmup).mean_loss;
    step += options.warmup;
  }
  double flops = 0;
  for (int r = 0; r < options.repeats; ++r) {
    finish(device);
    const auto start = Clock::now();
    const auto measured = trainer.train_steps(step, options.steps);
    finish(device);
    const double seconds = seconds_since(start);
    step += options.steps;
    flops += measured.flops;
    result.final_loss = measured.mean_loss;
    result.steps_per_second.push_back(options.steps / seconds);
    result.tokens_per_second.push_back(measured.target_tokens / seconds);
    if (on_repeat) on_repeat(r, result.steps_per_second.back());
  }
  result.median_steps_per_second = median(result.steps_per_second);
  result.median_tokens_per_second = median(result.tokens_per_second);
  result.flops_per_step = flops / (options.steps * static_cast<double>(options.repeats));
  return result;
}

}  // namespace attnlab::train
