// Scaled dot-product scoring (Vaswani et al. 2017, eq. 1):
//   score(q, k) = q . k / sqrt(d_k)
// No parameters; REQUIRES query_size == memory_size (= d_k). The scale keeps
// the softmax out of its flat regions when d_k is large. Multi-head attention
// (multihead.h) scores each head with scaled_dot_energies().
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

// q . k / sqrt(d) for queries [..., T, d] and keys [..., S, d]: energies [..., T, S].
torch::Tensor scaled_dot_energies(const torch::Tensor& queries, const torch::Tensor& keys);

class ScaledDotScorerImpl : public ScorerImpl {
 public:
  explicit ScaledDotScorerImpl(const ScorerOptions& options);
  torch::Tensor project_keys(const torch::Tensor& memory) override { return memory; }
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  double score_flops(int source) const override;
  bool has_fused() const override { return true; }
  void fused_score(const FusedStep& step, float* energies) const override;
  void fused_score_backward(const FusedStep& step, const float* d_energies, float* d_query,
                            float* d_keys, const std::vector<float*>& d_parameters) const override;

 private:
  int size_;  // Hq = Hm
};

}  // namespace attnlab::attention
