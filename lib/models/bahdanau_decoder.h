// The Bahdanau decoder (Bahdanau, Cho, Bengio 2015, section 3.1 and appendix
// A.2.2): at step i the scorer compares the *previous* state s_{i-1} with the
// encoder states, giving the context c_i (eqs. 5-6); the cell reads the
// previous token's embedding and c_i, giving s_i = f(s_{i-1}, y_{i-1}, c_i)
// (eq. 4); the output comes from a maxout readout over pairs
//   t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i,  t_i = max(t~_{i,2j-1}, t~_{i,2j})
// and softmax(W_o t_i). The readout uses s_i, as eq. 4's g(y_{i-1}, s_i, c_i)
// says (the appendix writes s_{i-1}). Without a scorer the cell and the
// readout see no context: the seed's bottleneck.
#pragma once

#include "models/decoder.h"

namespace attnlab::models {

class BahdanauDecoderImpl : public DecoderImpl {
 public:
  BahdanauDecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer);

  DecoderStep step(const torch::Tensor& embedded, DecoderState& state,
                   const Memory& memory) override;
  torch::Tensor forward_fused(const torch::Tensor& embedded, const DecoderState& state,
                              const Memory& memory) override;
  fused::StepperInputs stepper_inputs(const Memory& memory, const DecoderState& state) override;

 protected:
  // `context`: whether a context of H reaches the cell and the readout
  // (with a scorer, or Cho's summary without one).
  BahdanauDecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer,
                      bool context);
  void describe(fused::DecoderStart* start) const override;
  // The maxout readout t_i [B, H] of s_i, E y_{i-1} and the context c_i
  // (undefined: none).
  torch::Tensor readout(const torch::Tensor& hidden, const torch::Tensor& embedded,
                        const torch::Tensor& context);

 private:
  torch::nn::Linear u_o_{nullptr};  // H -> 2H, with the readout's bias
  torch::nn::Linear v_o_{nullptr};  // E -> 2H
  torch::nn::Linear c_o_{nullptr};  // H -> 2H; null without a context
};

}  // namespace attnlab::models
