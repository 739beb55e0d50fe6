// Batches whose sources all have one length (the usual, length-bucketed case)
// skip packing; mixed lengths are packed so that padding never reaches the
// final state.
#include "models/encoder.h"

namespace attnlab::models {

EncoderImpl::EncoderImpl(const EncoderOptions& options) : bidirectional_(options.bidirectional) {
  TORCH_CHECK(options.cell == "gru" || options.cell == "lstm", "encoder: unknown cell '",
              options.cell, "'; valid: gru, lstm");
  TORCH_CHECK(!bidirectional_ || options.hidden_size % 2 == 0,
              "encoder: a bidirectional encoder needs an even hidden size, got ",
              options.hidden_size);
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  const int per_direction = bidirectional_ ? options.hidden_size / 2 : options.hidden_size;
  // LibTorch warns when asked for dropout between layers of a one-layer RNN.
  const double between_layers = options.layers > 1 ? options.dropout : 0.0;
  if (options.cell == "gru") {
    gru_ = register_module(
        "rnn", torch::nn::GRU(torch::nn::GRUOptions(options.embedding_size, per_direction)
                                  .num_layers(options.layers)
                                  .bidirectional(bidirectional_)
                                  .dropout(between_layers)
                                  .batch_first(true)));
  } else {
    lstm_ = register_module(
        "rnn", torch::nn::LSTM(torch::nn::LSTMOptions(options.embedding_size, per_direction)
                                   .num_layers(options.layers)
                                   .bidirectional(bidirectional_)
                                   .dropout(between_layers)
                                   .batch_first(true)));
  }
}

torch::Tensor EncoderImpl::top_layer(const torch::Tensor& final_states) const {
  if (!bidirectional_) return final_states[-1];
  return torch::cat({final_states[-2], final_states[-1]}, 1);  // forward, backward
}

EncoderOutput EncoderImpl::forward(const torch::Tensor& source, const torch::Tensor& lengths) {
  const auto embedded = dropout_(embedding_(source));  // [B, S, E]
  const auto cpu_lengths = lengths.to(torch::kCPU);
  EncoderOutput out;
  if (cpu_lengths.min().item<std::int64_t>() == source.size(1)) {
    if (gru_) {
      auto [memory, hidden] = gru_(embedded);
      out.memory = memory;
      out.final = top_layer(hidden);
    } else {
      auto [memory, hidden] = lstm_(embedded);
      out.memory = memory;
      out.final = top_layer(std::get<0>(hidden));
      out.final_cell = top_layer(std::get<1>(hidden));
    }
    return out;
  }
  namespace rnn = torch::nn::utils::rnn;
  const auto packed = rnn::pack_padded_sequence(embedded, cpu_lengths, /*batch_first=*/true,
                                                /*enforce_sorted=*/false);
  const auto unpack = [&](const rnn::PackedSequence& states) {
    return std::get<0>(rnn::pad_packed_sequence(states, /*batch_first=*/true,
                                                /*padding_value=*/0.0, source.size(1)));
  };
  if (gru_) {
    auto [states, hidden] = gru_->forward_with_packed_input(packed);
    out.memory = unpack(states);
    out.final = top_layer(hidden);
  } else {
    auto [states, hidden] = lstm_->forward_with_packed_input(packed);
    out.memory = unpack(states);
    out.final = top_layer(std::get<0>(hidden));
    out.final_cell = top_layer(std::get<1>(hidden));
  }
  return out;
}

}  // namespace attnlab::models
