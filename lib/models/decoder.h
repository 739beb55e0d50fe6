// What the recurrent decoders share: embeddings, the recurrent cell (GRU or
// LSTM), the scorer, and the output projection. A decoder step differs
// between them (luong_decoder.h, bahdanau_decoder.h, cho_decoder.h); the
// scorer is any entry of the attention table, or none, so every scorer works
// with the luong and bahdanau decoders (cho has none).
//
// Shapes: B batch, S source length, E embedding, H hidden, V vocabulary.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "attention/scorer.h"
#include "config/settings.h"
#include "models/fused_engine.h"

namespace attnlab::models {

// What the decoder attends over, prepared once per source batch.
struct Memory {
  torch::Tensor states;  // [B, S, H] encoder states
  torch::Tensor keys;    // [B, S, K] scorer->project_keys(states); undefined without scorer
  torch::Tensor mask;    // [B, S] bool, true on real source tokens
};

struct DecoderState {
  torch::Tensor hidden;   // [B, H] the recurrent state
  torch::Tensor cell;     // [B, H] the LSTM cell; undefined for a GRU
  torch::Tensor feed;     // [B, H] Luong's h~_{t-1} with input feeding; else undefined
  torch::Tensor context;  // [B, H] Cho's summary of the source, read every step; else undefined
  std::int64_t step = 0;  // the target position the next step() emits (local attention's t)
};

struct DecoderStep {
  torch::Tensor features;  // [B, H] what output() turns into logits
  torch::Tensor weights;   // [B, S] attention weights; undefined without scorer
};

struct DecoderOptions {
  int vocab_size = 0;
  int embedding_size = 0;
  int hidden_size = 0;
  config::Cell cell = config::Cell::kGru;
  bool input_feeding = true;  // Luong only
  double dropout = 0.0;       // on embeddings and on the output features
};

class DecoderImpl : public torch::nn::Module {
 public:
  // `scorer` may be null (attention 'none'). `cell_input_size`: what the
  // recurrent cell reads each step.
  DecoderImpl(const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer,
              int cell_input_size);

  Memory prepare(const torch::Tensor& states, const torch::Tensor& mask);
  // From the (bridged) encoder state [B, H] and, for an LSTM, its cell.
  virtual DecoderState initial_state(const torch::Tensor& hidden, const torch::Tensor& cell);
  torch::Tensor embed(const torch::Tensor& tokens) { return dropout_(embedding_(tokens)); }
  // One step from the previous token's embedding [B, E]; updates `state`.
  virtual DecoderStep step(const torch::Tensor& embedded, DecoderState& state,
                           const Memory& memory) = 0;
  // Logits [..., V] from features [..., H].
  torch::Tensor output(const torch::Tensor& features) { return w_s_(dropout_(features)); }
  // The fused engine (fused_engine.h): every teacher-forced step at once
  // from the embedded targets [B, T, E], giving features [B, T, H] for
  // output(). Requires has_fused().
  virtual torch::Tensor forward_fused(const torch::Tensor& embedded, const DecoderState& state,
                                      const Memory& memory) = 0;
  // What the fused engine's decoding steps read, from the encoded memory
  // and the first state.
  virtual fused::StepperInputs stepper_inputs(const Memory& memory, const DecoderState& state);
  // The scorer; null without attention.
  const attention::ScorerImpl* attention_scorer() const { return scorer_.get(); }
  // Whether the fused engine covers this decoder (its scorer has a fused score).
  virtual bool has_fused() const { return !scorer_ || scorer_->has_fused(); }

 protected:
  // One step of the recurrent cell on input [B, cell_input_size].
  void advance(const torch::Tensor& input, DecoderState& state);
  attention::ScorerImpl* scorer() const { return scorer_.get(); }
  // The loop's inputs, with the embedding gates of all steps; `extra`:
  // W_ih's columns after the embedding's as w_extra.
  fused::DecoderLoopInputs fused_inputs(const torch::Tensor& embedded, const DecoderState& state,
                                        const Memory& memory, bool extra);
  // The decoder's own part of both fused paths' inputs: its kind, and
  // Luong's input feeding and W_c.
  virtual void describe(fused::DecoderStart* start) const = 0;
  int hidden_size() const { return hidden_size_; }

 private:
  // The cell's hidden side, the scorer, the state and the memory, then
  // describe().
  void fill_start(const Memory& memory, const DecoderState& state, fused::DecoderStart* start);

  int hidden_size_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::GRUCell gru_{nullptr};  // one of gru_ and lstm_ is set
  torch::nn::LSTMCell lstm_{nullptr};
  std::shared_ptr<attention::ScorerImpl> scorer_;
  torch::nn::Linear w_s_{nullptr};
};

}  // namespace attnlab::models
