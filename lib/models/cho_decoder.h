// The RNN encoder-decoder of Cho et al. 2014 (section 2.2), the RNNencdec
// baseline Bahdanau et al. 2015 compare RNNsearch against (their Fig. 2): a
// fixed summary c of the source, the encoder's final state, is fed to the
// decoder at every step, into the cell, s_i = f(s_{i-1}, y_{i-1}, c), and
// into the readout, t~_i = U_o s_i + V_o E y_{i-1} + C_o c with a maxout
// over pairs and softmax(W_o t_i), as Bahdanau's decoder reads its context
// c_i (bahdanau_decoder.h). It has no attention. The plain decoders without
// attention (luong or bahdanau with attention=none) are the
// Sutskever et al. 2014 model instead: the source reaches them only through
// their first state. The first state here is the summary itself, as for the
// other decoders (Cho et al. start from tanh(V' c)), so the two baselines
// differ only in c fed at every step.
#pragma once

#include "models/bahdanau_decoder.h"

namespace attnlab::models {

class ChoDecoderImpl : public BahdanauDecoderImpl {
 public:
  // Throws std::invalid_argument for a scorer: the model has no attention.
  ChoDecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer);

  // The summary c is `hidden`, the first state too.
  DecoderState initial_state(const torch::Tensor& hidden, const torch::Tensor& cell) override;
  DecoderStep step(const torch::Tensor& embedded, DecoderState& state,
                   const Memory& memory) override;
  // The fused engine does not cover this decoder: it trains and decodes on
  // modules (has_fused() is false), and these throw std::logic_error.
  bool has_fused() const override { return false; }
  torch::Tensor forward_fused(const torch::Tensor& embedded, const DecoderState& state,
                              const Memory& memory) override;
  fused::StepperInputs stepper_inputs(const Memory& memory, const DecoderState& state) override;
};

}  // namespace attnlab::models
