// Luong's general scorer: W_a applied to the keys once per source.
#include "attention/general.h"

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

}  // namespace attnlab::attention
