// The recurrent encoder: embeddings and a GRU over the source.
//
// Shapes (lib/README.md): B batch, S source length, E embedding, H hidden.
#pragma once

#include <torch/torch.h>

namespace attnlab::models {

struct EncoderOutput {
  torch::Tensor memory;  // [B, S, H] one state per source position, zero on padding
  torch::Tensor final;   // [B, H] the state after each sequence's last real token
};

struct EncoderOptions {
  int vocab_size = 0;      // V
  int embedding_size = 0;  // E
  int hidden_size = 0;     // H
  int layers = 1;
};

class EncoderImpl : public torch::nn::Module {
 public:
  explicit EncoderImpl(const EncoderOptions& options);
  // source [B, S] int64, lengths [B] int64 (on the CPU).
  EncoderOutput forward(const torch::Tensor& source, const torch::Tensor& lengths);

 private:
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::GRU rnn_{nullptr};
};
TORCH_MODULE(Encoder);

}  // namespace attnlab::models
