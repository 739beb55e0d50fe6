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

 private:
  // Encodes and returns the memory and the decoder's first state.
  std::pair<Memory, DecoderState> begin(const data::Batch& batch);

  Encoder encoder_{nullptr};
  // Bahdanau's s_0 = tanh(W_s h): [forward; backward] final states -> H.
  // Only for a bidirectional encoder; a one-way final state is used as is.
  torch::nn::Linear bridge_{nullptr};
  std::shared_ptr<DecoderImpl> decoder_;
};

}  // namespace attnlab::models
