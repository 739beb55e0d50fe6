// Scaled dot-product scoring (Vaswani et al. 2017, eq. 1):
//   score(q, k) = q . k / sqrt(d_k)
// No parameters; REQUIRES query_size == memory_size (= d_k). The scale keeps
// the softmax out of its flat regions when d_k is large.
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class ScaledDotScorerImpl : public ScorerImpl {
 public:
  explicit ScaledDotScorerImpl(const ScorerOptions& options);
  torch::Tensor project_keys(const torch::Tensor& memory) override { return memory; }
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;

 private:
  double scale_;
};

}  // namespace attnlab::attention
