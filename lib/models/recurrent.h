// The recurrent encoder-decoder: an encoder (encoder.h), a bridge when the
// encoder is bidirectional, and one of the decoders (luong_decoder.h,
// bahdanau_decoder.h, chosen by one table) with any scorer of the attention
// table, or none.
//
// Shapes: B batch, S source length, T target length, H hidden, V vocabulary.
#pragma once

#include "config/settings.h"
#include "models/decoder.h"
#include "models/encoder.h"
#include "models/model.h"

namespace attnlab::models {

// Every valid model.decoder, in table order.
std::vector<std::string> decoder_names();

class RecurrentModelImpl : public Seq2SeqModelImpl {
 public:
  // max_source_length: the longest source it will see (location attention
  // has one weight row per source position). Throws std::invalid_argument
  // for an unknown decoder or attention name.
  RecurrentModelImpl(const config::ModelSettings& model, const config::AttentionSettings& attention,
                     int vocab_size, int max_source_length);

  torch::Tensor forward(const data::Batch& batch) override;
  std::unique_ptr<IncrementalDecoder> start(const data::Batch& batch) override;
  std::string fused_gap() const override;
  // Forward, per sequence of S source and T target tokens:
  //   encoder   S sum over layers and directions (2 in G + 2 H_d G)
  //   bridge    2 H H (bidirectional), keys S key_flops()
  //   decoder   T (2 (E + X) G + 2 H G) with X = H when the cell reads
  //             h~_{t-1} or c_i; attention T (score_flops(S) + 2 S H)
  //   Luong     T 2 (2H or H) H for W_c; Bahdanau T (2 H 2H + 2 E 2H (+ 2 H 2H))
  //   output    T 2 H V
  // (G gate rows, H_d = H per direction); backward is twice the forward,
  // so a step is 3 B times the sum. Element-wise work, softmax and the
  // loss are not counted.
  double training_flops(const data::Batch& batch) const override;
  void use_fused(bool on) override { fused_ = on; }

 private:
  // Encodes and returns the memory and the decoder's first state.
  std::pair<Memory, DecoderState> begin(const data::Batch& batch);

  Encoder encoder_{nullptr};
  // Bahdanau's s_0 = tanh(W_s h): [forward; backward] final states -> H.
  // Only for a bidirectional encoder; a one-way final state is used as is.
  torch::nn::Linear bridge_{nullptr};
  std::shared_ptr<DecoderImpl> decoder_;
  std::string attention_name_;
  config::ModelSettings settings_;
  int vocab_size_;
  bool fused_ = false;
};

}  // namespace attnlab::models
