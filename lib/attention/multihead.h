// Multi-head attention (Vaswani et al. 2017, section 3.2.2):
//   MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O,
//   head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)
// with scaled dot-product attention in each head (eq. 1, scaled_dot.h). The
// h projections of size d = D / h are one D-wide linear layer each, as in
// torch::nn::MultiheadAttention; D is the memory size.
//
// The same module serves a recurrent decoder (one query per step, through the
// ScorerImpl interface) and the Transformer (a sequence of queries). The keys
// that project_keys() returns hold K W^K and V W^V side by side, so both
// projections of the source happen once per sequence.
//
// Shapes: B batch, T queries, S source, D model size, h heads.
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class MultiheadScorerImpl : public ScorerImpl {
 public:
  // REQUIRES: options.heads >= 1 divides options.memory_size.
  explicit MultiheadScorerImpl(const ScorerOptions& options);

  // memory [B, S, Hm] -> [B, S, 2D]: projected keys, then projected values.
  torch::Tensor project_keys(const torch::Tensor& memory) override;
  // Per-head energies [B, h, S] of query [B, Hq].
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  // Context [B, Hm] and weights [B, S] averaged over the heads.
  AttentionResult read(const torch::Tensor& query, const torch::Tensor& keys,
                       const torch::Tensor& memory, const torch::Tensor& mask,
                       std::int64_t step) override;

  // For a sequence of queries [B, T, Hq] and mask broadcastable to [B, T, S]
  // (true = may attend): context [B, T, Hm], weights [B, T, S] averaged over
  // the heads.
  AttentionResult attend_sequence(const torch::Tensor& queries, const torch::Tensor& keys,
                                  const torch::Tensor& mask);

  int heads() const { return heads_; }

  // The fused engine: read() written out for one query per row.
  bool has_fused() const override { return true; }
  std::vector<torch::Tensor> score_parameters() override;
  std::int64_t fused_scratch(int batch, int source) const override;
  void fused_read(const FusedStep& step, float* weights, float* context) const override;
  void fused_read_backward(const FusedStep& step, const float* weights, const float* d_context,
                           float* d_query, float* d_memory, float* d_keys,
                           const std::vector<float*>& d_parameters) const override;
  double score_flops(int source) const override;
  double key_flops() const override;

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, L, D] -> [B, h, L, d]
  // The fused forward into scratch: q [B, D], per-head weights [B, h, S]
  // and the concatenated heads [B, D]; returns them in that order.
  struct FusedParts {
    float* q;
    float* head_weights;
    float* heads;
  };
  FusedParts fused_forward(const FusedStep& step) const;

  int heads_;
  int model_size_;                  // D
  torch::nn::Linear w_q_{nullptr};  // Hq -> D
  torch::nn::Linear w_k_{nullptr};  // Hm -> D
  torch::nn::Linear w_v_{nullptr};  // Hm -> D
  torch::nn::Linear w_o_{nullptr};  // D -> Hm
};

}  // namespace attnlab::attention
