// Luong's local attention, predictive alignment "local-p" (Luong, Pham,
// Manning 2015, section 3.2, eqs. 9 and 10): the decoder predicts where to
// look,
//   p_t = S * sigmoid(v_p^T tanh(W_p h_t))                      (eq. 9)
// and weighs the window's content-based weights (local_m.h) by a Gaussian
// centred there,
//   a_t(s) = align(h_t, h_s) exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2,
// for |s - p_t| <= D (eq. 10). The Gaussian makes p_t differentiable, and, as
// in the paper, the weights are not renormalised: they sum to at most one.
// Positions count from 0, so S * sigmoid becomes (S_row - 1) * sigmoid,
// p_t in [0, S_row - 1] for each row's own length S_row.
#pragma once

#include "attention/local_m.h"

namespace attnlab::attention {

class LocalPScorerImpl : public LocalMScorerImpl {
 public:
  // REQUIRES: as LocalMScorerImpl.
  explicit LocalPScorerImpl(const ScorerOptions& options);
  double score_flops(int source) const override;

 protected:
  torch::Tensor aligned_position(const torch::Tensor& query, const torch::Tensor& lengths,
                                 std::int64_t step) override;
  torch::Tensor focus(const torch::Tensor& weights, const torch::Tensor& distance) override;

 private:
  torch::nn::Linear w_p_{nullptr};  // Hq -> Hq, no bias
  torch::nn::Linear v_p_{nullptr};  // Hq -> 1, no bias
};

}  // namespace attnlab::attention
