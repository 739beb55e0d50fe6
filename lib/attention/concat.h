// Luong "concat" scoring (Luong, Pham, Manning 2015, eq. 8):
//   score(h_t, h_s) = v_a^T tanh(W_a [h_t; h_s])
// with a full W_a. Split as W_a = [W_q  W_k], W_a [h_t; h_s] = W_q h_t + W_k h_s,
// so W_k h_s depends only on the source and is the projected key.
// This is Bahdanau's additive function (additive.h) without its bias: the
// two differ by one vector inside the tanh, and in which decoder state they
// score (the decoder, not the scorer, decides that: model.decoder).
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class ConcatScorerImpl : public ScorerImpl {
 public:
  explicit ConcatScorerImpl(const ScorerOptions& options);
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
  torch::nn::Linear w_q_{nullptr};  // the query columns of W_a: Hq -> A, no bias
  torch::nn::Linear w_k_{nullptr};  // the memory columns of W_a: Hm -> A, no bias
  torch::nn::Linear v_a_{nullptr};  // A -> 1, no bias
};

}  // namespace attnlab::attention
