// The Luong decoder (Luong, Pham, Manning 2015, section 3): at step t the GRU
// reads the previous token's embedding and the previous attentional vector
// (input feeding, section 3.3), giving h_t; the scorer compares the *current*
// h_t with the encoder states, giving the context c_t; the attentional vector
// is h~_t = tanh(W_c [c_t; h_t]) (eq. 5) and the output softmax(W_s h~_t)
// (eq. 6). Without a scorer (attention 'none') h~_t = tanh(W_c h_t): the
// decoder knows the source only through its initial state.
//
// Shapes: B batch, S source length, E embedding, H hidden, V vocabulary.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "attention/scorer.h"

namespace attnlab::models {

// What the decoder attends over, prepared once per source batch.
struct Memory {
  torch::Tensor states;  // [B, S, H] encoder states
  torch::Tensor keys;    // [B, S, K] scorer->project_keys(states); undefined without scorer
  torch::Tensor mask;    // [B, S] bool, true on real source tokens
};

struct DecoderState {
  torch::Tensor hidden;       // [B, H] h_{t-1}
  torch::Tensor attentional;  // [B, H] h~_{t-1}, fed back as input
};

struct DecoderStep {
  torch::Tensor attentional;  // [B, H] h~_t (project with output() for logits)
  torch::Tensor weights;      // [B, S] attention weights; undefined without scorer
};

struct DecoderOptions {
  int vocab_size = 0;
  int embedding_size = 0;
  int hidden_size = 0;
};

class LuongDecoderImpl : public torch::nn::Module {
 public:
  // `scorer` may be null (attention 'none').
  LuongDecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer);

  Memory prepare(const torch::Tensor& states, const torch::Tensor& mask);
  DecoderState initial_state(const torch::Tensor& encoder_final);
  torch::Tensor embed(const torch::Tensor& tokens) { return embedding_(tokens); }
  // One step from embedded input [B, E]; updates `state`.
  DecoderStep step(const torch::Tensor& embedded, DecoderState& state, const Memory& memory);
  // Logits [..., V] from attentional vectors [..., H].
  torch::Tensor output(const torch::Tensor& attentional) { return w_s_(attentional); }

 private:
  int hidden_size_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::GRUCell cell_{nullptr};
  std::shared_ptr<attention::ScorerImpl> scorer_;
  torch::nn::Linear w_c_{nullptr};
  torch::nn::Linear w_s_{nullptr};
};
TORCH_MODULE(LuongDecoder);

}  // namespace attnlab::models
