// Bahdanau's additive scorer; the equation is in additive.h.
#include "attention/additive.h"

#include "attention/kernels.h"

namespace attnlab::attention {

AdditiveScorerImpl::AdditiveScorerImpl(const ScorerOptions& options) {
  const int attention_size = options.query_size;
  w_a_ = register_module("w_a", torch::nn::Linear(options.query_size, attention_size));
  u_a_ = register_module(
      "u_a",
      torch::nn::Linear(torch::nn::LinearOptions(options.memory_size, attention_size).bias(false)));
  v_a_ = register_module(
      "v_a", torch::nn::Linear(torch::nn::LinearOptions(attention_size, 1).bias(false)));
}

torch::Tensor AdditiveScorerImpl::project_keys(const torch::Tensor& memory) {
  return u_a_(memory);  // [B, S, A]
}

torch::Tensor AdditiveScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  return v_a_(torch::tanh(keys + w_a_(query).unsqueeze(1))).squeeze(2);  // [B, S]
}

std::vector<torch::Tensor> AdditiveScorerImpl::score_parameters() {
  return {w_a_->weight, w_a_->bias, v_a_->weight};
}

std::int64_t AdditiveScorerImpl::fused_scratch(int batch, int /*source*/) const {
  return 2 * static_cast<std::int64_t>(batch) * w_a_->weight.size(0);
}

void AdditiveScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  const auto& w = w_a_->weight;
  kernels::projected_tanh_score(step.query, step.keys, w.data_ptr<float>(),
                                w_a_->bias.data_ptr<float>(), v_a_->weight.data_ptr<float>(),
                                step.batch, step.source, static_cast<int>(w.size(1)),
                                static_cast<int>(w.size(0)), step.scratch, energies);
}

void AdditiveScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                              float* d_query, float* d_keys,
                                              const std::vector<float*>& d_parameters) const {
  const auto& w = w_a_->weight;
  kernels::projected_tanh_score_backward(
      step.query, step.keys, w.data_ptr<float>(), w_a_->bias.data_ptr<float>(),
      v_a_->weight.data_ptr<float>(), d_energies, step.batch, step.source,
      static_cast<int>(w.size(1)), static_cast<int>(w.size(0)), step.scratch, d_query, d_keys,
      d_parameters[0], d_parameters[1], d_parameters.back());
}

// W_a s once, then v . (...) per position; the tanh is not counted.
double AdditiveScorerImpl::score_flops(int source) const {
  return 2.0 * static_cast<double>(w_a_->weight.numel()) +
         2.0 * source * static_cast<double>(v_a_->weight.numel());
}

double AdditiveScorerImpl::key_flops() const {
  return 2.0 * static_cast<double>(u_a_->weight.numel());
}

}  // namespace attnlab::attention
