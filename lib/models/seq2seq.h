// The recurrent encoder-decoder with a pluggable attention setting: training
// with teacher forcing, evaluation by free-running greedy decoding.
//
// Shapes: B batch, S source length, T target length, V vocabulary.
#pragma once

#include <torch/torch.h>

#include "config/settings.h"
#include "data/batch.h"
#include "models/encoder.h"
#include "models/luong_decoder.h"

namespace attnlab::models {

struct Decoded {
  torch::Tensor tokens;   // [B, T] greedy predictions (<eos> included, then anything)
  torch::Tensor weights;  // [B, T, S] attention weights; undefined without attention
};

class Seq2SeqImpl : public torch::nn::Module {
 public:
  // max_source_length: the longest source it will see (location attention
  // has one weight row per source position).
  Seq2SeqImpl(const config::ModelSettings& model, const std::string& attention, int vocab_size,
              int max_source_length);

  // Teacher-forced logits [B, T, V] for batch.target_in.
  torch::Tensor forward(const data::Batch& batch);
  // Greedy decoding for `steps` steps from <bos>.
  Decoded greedy(const data::Batch& batch, int steps);

 private:
  Encoder encoder_{nullptr};
  LuongDecoder decoder_{nullptr};
};
TORCH_MODULE(Seq2Seq);

}  // namespace attnlab::models
