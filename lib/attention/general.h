// Luong "general" scoring (Luong, Pham, Manning 2015, eq. 8):
//   score(h_t, h_s) = h_t^T W_a h_s
// W_a h_s depends only on the source, so it is the projected key.
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class GeneralScorerImpl : public ScorerImpl {
 public:
  explicit GeneralScorerImpl(const ScorerOptions& options);
  torch::Tensor project_keys(const torch::Tensor& memory) override;
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  double score_flops(int source) const override;
  double key_flops() const override;
  bool has_fused() const override { return true; }
  void fused_score(const FusedStep& step, float* energies) const override;
  void fused_score_backward(const FusedStep& step, const float* d_energies, float* d_query,
                            float* d_keys, const std::vector<float*>& d_parameters) const override;

 private:
  torch::nn::Linear w_a_{nullptr};  // Hm -> Hq, no bias
};

}  // namespace attnlab::attention
