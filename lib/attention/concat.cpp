// Luong's concat scorer; the equation is in concat.h.
#include "attention/concat.h"

#include "attention/kernels.h"

namespace attnlab::attention {

ConcatScorerImpl::ConcatScorerImpl(const ScorerOptions& options) {
  const int attention_size = options.query_size;
  const auto no_bias = [](int in, int out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  w_q_ = register_module("w_q", no_bias(options.query_size, attention_size));
  w_k_ = register_module("w_k", no_bias(options.memory_size, attention_size));
  v_a_ = register_module("v_a", no_bias(attention_size, 1));
}

torch::Tensor ConcatScorerImpl::project_keys(const torch::Tensor& memory) {
  return w_k_(memory);  // [B, S, A]
}

torch::Tensor ConcatScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return v_a_(torch::tanh(keys + w_q_(query).unsqueeze(1))).squeeze(2);  // [B, S]
}

std::vector<torch::Tensor> ConcatScorerImpl::score_parameters() {
  return {w_q_->weight, v_a_->weight};
}

std::int64_t ConcatScorerImpl::fused_scratch(int batch, int /*source*/) const {
  return 2 * static_cast<std::int64_t>(batch) * w_q_->weight.size(0);
}

void ConcatScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  const auto& w = w_q_->weight;
  kernels::projected_tanh_score(step.query, step.keys, w.data_ptr<float>(), nullptr,
                                v_a_->weight.data_ptr<float>(), step.batch, step.source,
                                static_cast<int>(w.size(1)), static_cast<int>(w.size(0)),
                                step.scratch, energies);
}

void ConcatScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                            float* d_query, float* d_keys,
                                            const std::vector<float*>& d_parameters) const {
  const auto& w = w_q_->weight;
  kernels::projected_tanh_score_backward(
      step.query, step.keys, w.data_ptr<float>(), nullptr, v_a_->weight.data_ptr<float>(),
      d_energies, step.batch, step.source, static_cast<int>(w.size(1)), static_cast<int>(w.size(0)),
      step.scratch, d_query, d_keys, d_parameters[0], nullptr, d_parameters.back());
}

double ConcatScorerImpl::score_flops(int source) const {
  return 2.0 * static_cast<double>(w_q_->weight.numel()) +
         2.0 * source * static_cast<double>(v_a_->weight.numel());
}

double ConcatScorerImpl::key_flops() const {
  return 2.0 * static_cast<double>(w_k_->weight.numel());
}

}  // namespace attnlab::attention
