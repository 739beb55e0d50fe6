// Bahdanau's additive scorer; the equation is in additive.h.
#include "attention/additive.h"

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

}  // namespace attnlab::attention
