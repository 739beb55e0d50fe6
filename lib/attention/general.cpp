// Luong's general scorer: W_a applied to the keys once per source.
#include "attention/general.h"

#include "attention/kernels.h"

namespace attnlab::attention {

GeneralScorerImpl::GeneralScorerImpl(const ScorerOptions& options)
    : w_a_(register_module(
          "w_a",
          torch::nn::Linear(
              torch::nn::LinearOptions(options.memory_size, options.query_size).bias(false)))) {}

torch::Tensor GeneralScorerImpl::project_keys(const torch::Tensor& memory) {
  return w_a_(memory);  // [B, S, Hq]
}

torch::Tensor GeneralScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return torch::bmm(keys, query.unsqueeze(2)).squeeze(2);  // [B, S]
}

void GeneralScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  kernels::dot_score(step.query, step.keys, step.batch, step.source,
                     static_cast<int>(w_a_->weight.size(0)), 1.0f, energies);
}

void GeneralScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                             float* d_query, float* d_keys,
                                             const std::vector<float*>& /*d_parameters*/) const {
  kernels::dot_score_backward(step.query, step.keys, d_energies, step.batch, step.source,
                              static_cast<int>(w_a_->weight.size(0)), 1.0f, d_query, d_keys);
}

double GeneralScorerImpl::score_flops(int source) const {
  return 2.0 * source * static_cast<double>(w_a_->weight.size(0));
}

double GeneralScorerImpl::key_flops() const {
  return 2.0 * static_cast<double>(w_a_->weight.numel());
}

}  // namespace attnlab::attention
