// Luong's dot scorer: no parameters, one batched matrix product.
#include "attention/dot.h"

namespace attnlab::attention {

DotScorerImpl::DotScorerImpl(const ScorerOptions& options) {
  TORCH_CHECK(options.query_size == options.memory_size,
              "dot attention needs query and memory of one size, got ", options.query_size, " and ",
              options.memory_size, "; use 'general'");
}

torch::Tensor DotScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return torch::bmm(keys, query.unsqueeze(2)).squeeze(2);  // [B, S]
}

}  // namespace attnlab::attention
