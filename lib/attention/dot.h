// Luong "dot" scoring (Luong, Pham, Manning 2015, eq. 8):
//   score(h_t, h_s) = h_t^T h_s
// No parameters; REQUIRES query_size == memory_size (the seed's caveat: both
// sides must live in the same space).
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class DotScorerImpl : public ScorerImpl {
 public:
  explicit DotScorerImpl(const ScorerOptions& options);
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
