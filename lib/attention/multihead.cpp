// Multi-head attention; the equations are in multihead.h. The weights it
// returns are the mean over heads, as torch::nn::MultiheadAttention reports
// them, so they still sum to one and can be drawn like any other scorer's.
#include "attention/multihead.h"

#include "attention/scaled_dot.h"

namespace attnlab::attention {

MultiheadScorerImpl::MultiheadScorerImpl(const ScorerOptions& options)
    : heads_(options.heads), model_size_(options.memory_size) {
  TORCH_CHECK(heads_ >= 1 && model_size_ % heads_ == 0, "multihead attention: ", heads_,
              " heads do not divide the model size ", model_size_);
  w_q_ = register_module("w_q", torch::nn::Linear(options.query_size, model_size_));
  w_k_ = register_module("w_k", torch::nn::Linear(options.memory_size, model_size_));
  w_v_ = register_module("w_v", torch::nn::Linear(options.memory_size, model_size_));
  w_o_ = register_module("w_o", torch::nn::Linear(model_size_, options.memory_size));
}

torch::Tensor MultiheadScorerImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, model_size_ / heads_}).transpose(1, 2);
}

torch::Tensor MultiheadScorerImpl::project_keys(const torch::Tensor& memory) {
  return torch::cat({w_k_(memory), w_v_(memory)}, -1);
}

torch::Tensor MultiheadScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  const auto queries = split_heads(w_q_(query.unsqueeze(1)));  // [B, h, 1, d]
  const auto projected = split_heads(keys.narrow(-1, 0, model_size_));
  return scaled_dot_energies(queries, projected).squeeze(2);  // [B, h, S]
}

AttentionResult MultiheadScorerImpl::attend_sequence(const torch::Tensor& queries,
                                                     const torch::Tensor& keys,
                                                     const torch::Tensor& mask) {
  TORCH_CHECK(queries.dim() == 3 && keys.dim() == 3 && keys.size(2) == 2 * model_size_,
              "multihead attention: queries ", queries.sizes(), " or keys ", keys.sizes(),
              " have the wrong shape");
  const auto q = split_heads(w_q_(queries));                    // [B, h, T, d]
  const auto k = split_heads(keys.narrow(-1, 0, model_size_));  // [B, h, S, d]
  const auto v = split_heads(keys.narrow(-1, model_size_, model_size_));
  const auto weights = masked_softmax(scaled_dot_energies(q, k), mask.unsqueeze(1));
  const auto heads = torch::matmul(weights, v);  // [B, h, T, d]
  AttentionResult result;
  result.context = w_o_(heads.transpose(1, 2).reshape({queries.size(0), queries.size(1), -1}));
  result.weights = weights.mean(1);
  return result;
}

AttentionResult MultiheadScorerImpl::read(const torch::Tensor& query, const torch::Tensor& keys,
                                          const torch::Tensor& /*memory*/,
                                          const torch::Tensor& mask) {
  auto result = attend_sequence(query.unsqueeze(1), keys, mask.unsqueeze(1));
  result.context = result.context.squeeze(1);
  result.weights = result.weights.squeeze(1);
  return result;
}

}  // namespace attnlab::attention
