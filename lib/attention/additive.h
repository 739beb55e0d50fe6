// Bahdanau's additive scoring (Bahdanau, Cho, Bengio 2015, appendix A.1.2):
//   e(s, h_j) = v_a^T tanh(W_a s + U_a h_j)
// U_a h_j depends only on the source, so it is the projected key; the
// attention size equals the query size. Up to W_a's bias this is Luong's
// concat score (concat.h): v^T tanh(W_q q + W_k h) is the same function.
// Bahdanau's model scores with the previous decoder state s_{i-1}; here the
// decoder passes whichever state it scores with (model.decoder: bahdanau
// passes s_{i-1}, luong the current h_t).
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class AdditiveScorerImpl : public ScorerImpl {
 public:
  explicit AdditiveScorerImpl(const ScorerOptions& options);
  torch::Tensor project_keys(const torch::Tensor& memory) override;
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  double score_flops(int source) const override;
  double key_flops() const override;
  bool has_fused() const override { return true; }
  void fused_score(const FusedStep& step, float* energies) const override;
  void fused_score_backward(const FusedStep& step, const float* d_energies, float* d_query,
                            float* d_keys, const std::vector<float*>& d_parameters) const override;
  std::vector<torch::Tensor> score_parameters() override;
  std::int64_t fused_scratch(int batch, int source) const override;

 private:
  torch::nn::Linear w_a_{nullptr};  // Hq -> A, with bias
  torch::nn::Linear u_a_{nullptr};  // Hm -> A, no bias (W_a's bias serves both)
  torch::nn::Linear v_a_{nullptr};  // A -> 1, no bias
};

}  // namespace attnlab::attention
