// Timing uses a steady clock around whole steps, loss read back included,
// so that asynchronous work cannot leak out of the measured interval.
#include "train/benchmark.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace attnlab::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::vector<GemmMeasurement> measure_gemm(
    const std::vector<int>& sizes, double seconds_per_size,
    const std::function<void(const GemmMeasurement&)>& on_size) {
  std::vector<GemmMeasurement> out;
  torch::NoGradGuard no_grad;
  for (const int n : sizes) {
    if (n < 1)
      throw std::invalid_argument("gemm: sizes must be positive, got " + std::to_string(n));
    const auto a = torch::randn({n, n}), b = torch::randn({n, n});
    auto c = torch::empty({n, n});
    at::mm_out(c, a, b);  // warm-up
    GemmMeasurement m{n, 0};
    const double flops = 2.0 * n * n * n;
    const auto start = Clock::now();
    do {
      const auto t0 = Clock::now();
      at::mm_out(c, a, b);
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

double workload_step(models::StandardWorkloadImpl& model, torch::optim::Optimizer& optimizer,
                     const models::WorkloadBatch& batch, models::Implementation implementation) {
  optimizer.zero_grad();
  const auto loss = model.loss(batch, implementation);
  loss.backward();
  torch::nn::utils::clip_grad_norm_(model.parameters(), 1.0);
  optimizer.step();
  return loss.item<double>();
}

TrainBenchResult bench_train(const TrainBenchOptions& options,
                             const std::function<void(int, double)>& on_repeat) {
  if (options.steps < 1 || options.repeats < 1 || options.warmup < 0) {
    throw std::invalid_argument("bench train: needs steps >= 1, repeats >= 1 and warmup >= 0");
  }
  torch::manual_seed(options.seed);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  models::StandardWorkload model(options.sizes);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3));
  TrainBenchResult result;
  result.flops_per_step = models::training_flops(options.sizes);
  for (const auto& p : model->parameters())
    result.parameters += p.numel();
  const auto step = [&] {
    const auto batch = models::workload_batch(options.sizes, generator);
    return workload_step(*model, optimizer, batch, options.implementation);
  };
  result.first_loss = step();
  for (int i = 1; i < options.warmup; ++i)
    step();
  const double tokens = static_cast<double>(options.sizes.batch) * options.sizes.length;
  for (int r = 0; r < options.repeats; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < options.steps; ++i)
      result.final_loss = step();
    result.tokens_per_second.push_back(options.steps * tokens / seconds_since(start));
    if (on_repeat) on_repeat(r, result.tokens_per_second.back());
  }
  result.median_tokens_per_second = median(result.tokens_per_second);
  return result;
}

}  // namespace attnlab::train
