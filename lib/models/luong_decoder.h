// The Luong decoder (Luong, Pham, Manning 2015, section 3): at step t the cell
// reads the previous token's embedding and, with input feeding (section 3.3),
// the previous attentional vector, giving h_t; the scorer compares the
// *current* h_t with the encoder states, giving the context c_t; the
// attentional vector is h~_t = tanh(W_c [c_t; h_t]) (eq. 5) and the output
// softmax(W_s h~_t) (eq. 6). Without a scorer (attention 'none')
// h~_t = tanh(W_c h_t): the decoder knows the source only through its
// initial state, the seed's bottleneck.
#pragma once

#include "models/decoder.h"

namespace attnlab::models {

class LuongDecoderImpl : public DecoderImpl {
 public:
  LuongDecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer);

  DecoderState initial_state(const torch::Tensor& hidden, const torch::Tensor& cell) override;
  DecoderStep step(const torch::Tensor& embedded, DecoderState& state,
                   const Memory& memory) override;
  torch::Tensor forward_fused(const torch::Tensor& embedded, const DecoderState& state,
                              const Memory& memory) override;

 protected:
  void describe(fused::DecoderStart* start) const override;

 private:
  bool input_feeding_;
  torch::nn::Linear w_c_{nullptr};  // [c_t; h_t] (or h_t alone) -> H, no bias
};

}  // namespace attnlab::models
