// Luong's local attention, monotonic alignment "local-m" (Luong, Pham,
// Manning 2015, section 3.2): at target position t the decoder attends only
// within the window [p_t - D, p_t + D] around p_t = t, with a content score
// (eq. 8: dot, general or concat) and a softmax over the window:
//   a_t(s) = exp(score(h_t, h_s)) / sum_{|s' - p_t| <= D} exp(score(h_t, h_s'))
// for |s - p_t| <= D, and 0 outside the window.
// Positions count from 0, and p_t is held at the row's last real position
// (p_t = min(t, S_row - 1)) so that a target longer than its source still
// reads the source's end rather than nothing.
#pragma once

#include <memory>

#include "attention/scorer.h"

namespace attnlab::attention {

class LocalMScorerImpl : public ScorerImpl {
 public:
  // REQUIRES: options.window >= 1; options.content in config::local_score_names().
  explicit LocalMScorerImpl(const ScorerOptions& options);

  // The content score's keys and energies (no window: read() applies it).
  torch::Tensor project_keys(const torch::Tensor& memory) override;
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  AttentionResult read(const torch::Tensor& query, const torch::Tensor& keys,
                       const torch::Tensor& memory, const torch::Tensor& mask,
                       std::int64_t step) override;
  double score_flops(int source) const override;
  double key_flops() const override;

 protected:
  // p_t [B] (float) for target position `step`; `lengths` [B] (float): the
  // real source positions of each row.
  virtual torch::Tensor aligned_position(const torch::Tensor& query, const torch::Tensor& lengths,
                                         std::int64_t step);
  // The weights from the window's softmax [B, S], given each position's
  // distance s - p_t [B, S]. local-m keeps them as they are.
  virtual torch::Tensor focus(const torch::Tensor& weights, const torch::Tensor& /*distance*/) {
    return weights;
  }
  int window() const { return window_; }

 private:
  int window_;
  std::shared_ptr<ScorerImpl> content_;
};

}  // namespace attnlab::attention
