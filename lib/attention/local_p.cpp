// Luong's local-p attention; the equations are in local_p.h.
#include "attention/local_p.h"

namespace attnlab::attention {

LocalPScorerImpl::LocalPScorerImpl(const ScorerOptions& options) : LocalMScorerImpl(options) {
  const auto no_bias = [](int in, int out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  w_p_ = register_module("w_p", no_bias(options.query_size, options.query_size));
  v_p_ = register_module("v_p", no_bias(options.query_size, 1));
}

torch::Tensor LocalPScorerImpl::aligned_position(const torch::Tensor& query,
                                                 const torch::Tensor& lengths,
                                                 std::int64_t /*step*/) {
  const auto share = torch::sigmoid(v_p_(torch::tanh(w_p_(query)))).squeeze(1);  // [B]
  return (lengths - 1).clamp_min(0) * share;
}

torch::Tensor LocalPScorerImpl::focus(const torch::Tensor& weights, const torch::Tensor& distance) {
  const double sigma = window() / 2.0;
  return weights * torch::exp(-distance.pow(2) / (2 * sigma * sigma));
}

double LocalPScorerImpl::score_flops(int source) const {
  const double q = static_cast<double>(w_p_->weight.size(0));
  return LocalMScorerImpl::score_flops(source) + 2 * q * q + 2 * q;
}

}  // namespace attnlab::attention
