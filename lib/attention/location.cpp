// Luong's location scorer; the equation is in location.h.
#include "attention/location.h"

namespace attnlab::attention {

LocationScorerImpl::LocationScorerImpl(const ScorerOptions& options)
    : max_source_length_(options.max_source_length) {
  TORCH_CHECK(max_source_length_ >= 1, "location attention needs max_source_length >= 1");
  w_a_ = register_module("w_a", torch::nn::Linear(options.query_size, max_source_length_));
}

torch::Tensor LocationScorerImpl::score(const torch::Tensor& query, const torch::Tensor& keys) {
  TORCH_CHECK(keys.size(1) <= max_source_length_, "location attention was built for sources of ",
              max_source_length_, " tokens at most, got ", keys.size(1));
  return w_a_(query).slice(1, 0, keys.size(1));  // [B, S]
}

}  // namespace attnlab::attention
