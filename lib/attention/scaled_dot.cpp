// Scaled dot-product scorer; the equation is in scaled_dot.h.
#include "attention/scaled_dot.h"

#include <cmath>

#include "attention/kernels.h"

namespace attnlab::attention {

torch::Tensor scaled_dot_energies(const torch::Tensor& queries, const torch::Tensor& keys) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(keys.size(-1)));
  return torch::matmul(queries, keys.transpose(-2, -1)) * scale;
}

ScaledDotScorerImpl::ScaledDotScorerImpl(const ScorerOptions& options) : size_(options.query_size) {
  TORCH_CHECK(options.query_size == options.memory_size,
              "scaled_dot attention needs query and memory of one size, got ", options.query_size,
              " and ", options.memory_size);
}

torch::Tensor ScaledDotScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return scaled_dot_energies(query.unsqueeze(1), keys).squeeze(1);  // [B, S]
}

void ScaledDotScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  kernels::dot_score(step.query, step.keys, step.batch, step.source, size_,
                     1.0f / std::sqrt(static_cast<float>(size_)), energies);
}

void ScaledDotScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                               float* d_query, float* d_keys,
                                               const std::vector<float*>& /*d_parameters*/) const {
  kernels::dot_score_backward(step.query, step.keys, d_energies, step.batch, step.source, size_,
                              1.0f / std::sqrt(static_cast<float>(size_)), d_query, d_keys);
}

double ScaledDotScorerImpl::score_flops(int source) const {
  return 2.0 * source * size_;
}

}  // namespace attnlab::attention
