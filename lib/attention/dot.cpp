// Luong's dot scorer: no parameters, one batched matrix product.
#include "attention/dot.h"

#include "attention/kernels.h"

namespace attnlab::attention {

DotScorerImpl::DotScorerImpl(const ScorerOptions& options) : size_(options.query_size) {
  TORCH_CHECK(options.query_size == options.memory_size,
              "dot attention needs query and memory of one size, got ", options.query_size, " and ",
              options.memory_size, "; use 'general'");
}

torch::Tensor DotScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return torch::bmm(keys, query.unsqueeze(2)).squeeze(2);  // [B, S]
}

void DotScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  kernels::dot_score(step.query, step.keys, step.batch, step.source, size_, 1.0f, energies);
}

void DotScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                         float* d_query, float* d_keys,
                                         const std::vector<float*>& /*d_parameters*/) const {
  kernels::dot_score_backward(step.query, step.keys, d_energies, step.batch, step.source, size_,
                              1.0f, d_query, d_keys);
}

double DotScorerImpl::score_flops(int source) const {
  return 2.0 * source * size_;
}

}  // namespace attnlab::attention
