// Plain loops GCC vectorises, with an x86-64-v3 copy of each.
#include "train/fused_optimizer.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace attnlab::train {
namespace {

[[gnu::target_clones("arch=x86-64-v3", "default")]] void adam_update(
    float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v,
    std::int64_t n, float beta1, float beta2, float step_size, float sqrt_correction2, float eps) {
  for (std::int64_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1.0f - beta1) * g[i];
    v[i] = beta2 * v[i] + (1.0f - beta2) * g[i] * g[i];
    p[i] -= step_size * m[i] / (std::sqrt(v[i]) / sqrt_correction2 + eps);
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] double sum_of_squares(const float* __restrict g,
                                                                          std::int64_t n) {
  double total = 0;
#pragma omp simd reduction(+ : total)
  for (std::int64_t i = 0; i < n; ++i)
    total += static_cast<double>(g[i]) * g[i];
  return total;
}

void check_cpu_fp32(const torch::Tensor& t) {
  TORCH_CHECK(t.is_cpu() && t.scalar_type() == torch::kFloat32 && t.is_contiguous(),
              "fused optimiser: parameters and gradients must be contiguous fp32 on the CPU");
}

// The key LibTorch's optimisers file a parameter's state under: its
// TensorImpl's address, printed (LibTorch 1.x) or as it is (2.x), so that
// state saved by either optimiser reads back into the other.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

FusedAdam::FusedAdam(std::vector<torch::Tensor> parameters, torch::optim::AdamOptions options)
    : torch::optim::Adam(std::move(parameters), options) {
  TORCH_CHECK(options.weight_decay() == 0 && !options.amsgrad(),
              "FusedAdam: no weight decay or AMSGrad");
}

torch::Tensor FusedAdam::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    const auto [beta1, beta2] = options.betas();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      check_cpu_fp32(p);
      check_cpu_fp32(p.grad());
      const auto key = state_key<typename decltype(state_)::key_type>(p);
      auto found = state_.find(key);
      if (found == state_.end()) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = state_.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*found->second);
      state.step(state.step() + 1);
      const double correction1 = 1 - std::pow(beta1, state.step());
      const double correction2 = 1 - std::pow(beta2, state.step());
      adam_update(p.data_ptr<float>(), p.grad().data_ptr<float>(),
                  state.exp_avg().data_ptr<float>(), state.exp_avg_sq().data_ptr<float>(),
                  p.numel(), static_cast<float>(beta1), static_cast<float>(beta2),
                  static_cast<float>(options.lr() / correction1),
                  static_cast<float>(std::sqrt(correction2)), static_cast<float>(options.eps()));
    }
  }
  return loss;
}

void clip_grad_norm_cpu(const std::vector<torch::Tensor>& parameters, double max_norm) {
  double total = 0;
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    check_cpu_fp32(p.grad());
    total += sum_of_squares(p.grad().data_ptr<float>(), p.grad().numel());
  }
  const double scale = max_norm / (std::sqrt(total) + 1e-6);
  if (scale >= 1.0) return;
  for (const auto& p : parameters) {
    if (p.grad().defined()) p.grad().mul_(scale);
  }
}

}  // namespace attnlab::train
