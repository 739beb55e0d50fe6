// The recurrent encoder: embeddings, then a GRU or LSTM over the source, one
// or more layers, in one direction or both. A bidirectional encoder gives
// each direction H/2 units, so its states still have H (and every scorer,
// dot included, still fits); the two final states are concatenated.
//
// Shapes (lib/README.md): B batch, S source length, E embedding, H hidden.
#pragma once

#include <torch/torch.h>

#include <string>

#include "config/settings.h"

namespace attnlab::models {

struct EncoderOutput {
  torch::Tensor memory;      // [B, S, H] top-layer states, zero on padding
  torch::Tensor final;       // [B, H] top layer's state after each sequence
  torch::Tensor final_cell;  // [B, H] the same for the LSTM cell; undefined for a GRU
};

struct EncoderOptions {
  int vocab_size = 0;      // V
  int embedding_size = 0;  // E
  int hidden_size = 0;     // H; REQUIRES: even when bidirectional
  int layers = 1;          // stacked recurrent layers
  config::Cell cell = config::Cell::kGru;
  bool bidirectional = false;  // read the source both ways
  double dropout = 0.0;        // on the embeddings and between layers
};

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const EncoderOptions& options);
  // source [B, S] int64, lengths [B] int64.
  EncoderOutput forward(const torch::Tensor& source, const torch::Tensor& lengths);
  // The same on the fused engine (fused_engine.h).
  EncoderOutput forward_fused(const torch::Tensor& source, const torch::Tensor& lengths);

 private:
  // The top layer's final states [B, H] from h_n [layers * directions, B, H/dirs].
  torch::Tensor top_layer(const torch::Tensor& final_states) const;

  bool bidirectional_;
  int layers_;
  double between_layers_;  // dropout between layers
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::GRU gru_{nullptr};  // one of gru_ and lstm_ is set
  torch::nn::LSTM lstm_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace attnlab::models
