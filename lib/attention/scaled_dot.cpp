// Scaled dot-product scorer; the equation is in scaled_dot.h.
#include "attention/scaled_dot.h"

#include <cmath>

namespace attnlab::attention {

torch::Tensor scaled_dot_energies(const torch::Tensor& queries, const torch::Tensor& keys) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(keys.size(-1)));
  return torch::matmul(queries, keys.transpose(-2, -1)) * scale;
}

ScaledDotScorerImpl::ScaledDotScorerImpl(const ScorerOptions& options) {
  TORCH_CHECK(options.query_size == options.memory_size,
              "scaled_dot attention needs query and memory of one size, got ", options.query_size,
              " and ", options.memory_size);
}

torch::Tensor ScaledDotScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return scaled_dot_energies(query.unsqueeze(1), keys).squeeze(1);  // [B, S]
}

}  // namespace attnlab::attention
