// Luong "location" scoring (Luong, Pham, Manning 2015, eq. 9):
//   a_t = softmax(W_a h_t)
// The weights depend on the decoder state alone, one output per source
// position, so W_a has max_source_length rows and a sequence of length S uses
// the first S. The keys are unused (the memory is returned unchanged).
#pragma once

#include "attention/scorer.h"

namespace attnlab::attention {

class LocationScorerImpl : public ScorerImpl {
 public:
  // REQUIRES: options.max_source_length >= 1.
  explicit LocationScorerImpl(const ScorerOptions& options);
  torch::Tensor project_keys(const torch::Tensor& memory) override { return memory; }
  // REQUIRES: keys.size(1) <= max_source_length.
  torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) override;
  double score_flops(int source) const override;
  bool has_fused() const override { return true; }
  void fused_score(const FusedStep& step, float* energies) const override;
  void fused_score_backward(const FusedStep& step, const float* d_energies, float* d_query,
                            float* d_keys, const std::vector<float*>& d_parameters) const override;
  std::vector<torch::Tensor> score_parameters() override;

 private:
  int max_source_length_;
  torch::nn::Linear w_a_{nullptr};  // Hq -> max_source_length
};

}  // namespace attnlab::attention
