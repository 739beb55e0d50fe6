// Batches whose sources all have one length (the usual, length-bucketed case)
// skip packing; mixed lengths are packed so that padding never reaches the
// final state.
#include "models/encoder.h"

#include "models/fused_engine.h"

namespace attnlab::models {

EncoderImpl::EncoderImpl(const EncoderOptions& options)
    : bidirectional_(options.bidirectional),
      layers_(options.layers),
      between_layers_(options.layers > 1 ? options.dropout : 0.0) {
  TORCH_CHECK(!bidirectional_ || options.hidden_size % 2 == 0,
              "encoder: a bidirectional encoder needs an even hidden size, got ",
              options.hidden_size);
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  const int per_direction = bidirectional_ ? options.hidden_size / 2 : options.hidden_size;
  // LibTorch warns when asked for dropout between layers of a one-layer RNN.
  const double between_layers = between_layers_;
  if (options.cell == config::Cell::kGru) {
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

EncoderOutput EncoderImpl::forward_fused(const torch::Tensor& source,
                                         const torch::Tensor& lengths) {
  const auto embedded = dropout_(embedding_(source));  // [B, S, E]
  const auto cpu_lengths = lengths.to(torch::kCPU);
  const bool ragged = cpu_lengths.min().item<std::int64_t>() != source.size(1);
  const bool lstm = !gru_;
  const auto params = gru_ ? gru_->named_parameters(false) : lstm_->named_parameters(false);
  // Time-major throughout, as LibTorch's own RNN runs (its dropout between
  // layers draws over the same [S, B, H] layout).
  torch::Tensor input = embedded.transpose(0, 1);
  std::vector<fused::LayerOutput> top;
  for (int layer = 0; layer < layers_; ++layer) {
    top.clear();
    std::vector<torch::Tensor> outputs;
    for (int direction = 0; direction < (bidirectional_ ? 2 : 1); ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
      const auto gx = at::linear(input, params["weight_ih" + suffix], params["bias_ih" + suffix]);
      top.push_back(
          fused::recurrent_layer(gx, params["weight_hh" + suffix], params["bias_hh" + suffix],
                                 ragged ? cpu_lengths : torch::Tensor(), direction == 1, lstm));
      outputs.push_back(top.back().states);
    }
    input = outputs.size() == 1 ? outputs[0] : torch::cat(outputs, 2);
    if (layer + 1 < layers_ && between_layers_ > 0 && is_training()) {
      input = torch::dropout(input, between_layers_, /*train=*/true);
    }
  }
  EncoderOutput out;
  out.memory = input.transpose(0, 1).contiguous();
  const auto final_of = [&](torch::Tensor fused::LayerOutput::*part) {
    return top.size() == 1 ? top[0].*part : torch::cat({top[0].*part, top[1].*part}, 1);
  };
  out.final = final_of(&fused::LayerOutput::final);
  if (lstm) out.final_cell = final_of(&fused::LayerOutput::final_cell);
  return out;
}

}  // namespace attnlab::models
