// Luong's concat scorer; the equation is in concat.h.
#include "attention/concat.h"

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

}  // namespace attnlab::attention
