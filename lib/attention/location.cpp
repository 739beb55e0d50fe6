// Luong's location scorer; the equation is in location.h.
#include "attention/location.h"

#include "attention/kernels.h"

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

std::vector<torch::Tensor> LocationScorerImpl::score_parameters() {
  return {w_a_->weight, w_a_->bias};
}

// energies = query W_a[:S]^T + b[:S]: the first S rows of W_a are contiguous.
void LocationScorerImpl::fused_score(const FusedStep& step, float* energies) const {
  const int query_size = static_cast<int>(w_a_->weight.size(1));
  const float* bias = w_a_->bias.data_ptr<float>();
  for (int b = 0; b < step.batch; ++b)
    std::copy(bias, bias + step.source, energies + static_cast<std::int64_t>(b) * step.source);
  kernels::gemm(false, true, step.batch, step.source, query_size, 1.0f, step.query, query_size,
                w_a_->weight.data_ptr<float>(), query_size, 1.0f, energies, step.source);
}

void LocationScorerImpl::fused_score_backward(const FusedStep& step, const float* d_energies,
                                              float* d_query, float* /*d_keys*/,
                                              const std::vector<float*>& d_parameters) const {
  const int query_size = static_cast<int>(w_a_->weight.size(1));
  kernels::gemm(false, false, step.batch, query_size, step.source, 1.0f, d_energies, step.source,
                w_a_->weight.data_ptr<float>(), query_size, 1.0f, d_query, query_size);
  kernels::gemm(true, false, step.source, query_size, step.batch, 1.0f, d_energies, step.source,
                step.query, query_size, 1.0f, d_parameters[0], query_size);
  kernels::add_column_sums(d_energies, step.batch, step.source, d_parameters[1]);
}

double LocationScorerImpl::score_flops(int source) const {
  return 2.0 * source * static_cast<double>(w_a_->weight.size(1));
}

}  // namespace attnlab::attention
