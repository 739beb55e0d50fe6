// Scaled dot-product scorer; the equation is in scaled_dot.h.
#include "attention/scaled_dot.h"

#include <cmath>

namespace attnlab::attention {

ScaledDotScorerImpl::ScaledDotScorerImpl(const ScorerOptions& options)
    : scale_(1.0 / std::sqrt(static_cast<double>(options.memory_size))) {
  TORCH_CHECK(options.query_size == options.memory_size,
              "scaled_dot attention needs query and memory of one size, got ", options.query_size,
              " and ", options.memory_size);
}

torch::Tensor ScaledDotScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return torch::bmm(keys, query.unsqueeze(2)).squeeze(2) * scale_;  // [B, S]
}

}  // namespace attnlab::attention
