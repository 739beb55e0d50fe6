// Batches whose sources all have one length (the usual, length-bucketed case)
// skip packing; mixed lengths are packed so that padding never reaches the
// final state.
#include "models/encoder.h"

namespace attnlab::models {

EncoderImpl::EncoderImpl(const EncoderOptions& options) {
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  rnn_ = register_module(
      "rnn", torch::nn::GRU(torch::nn::GRUOptions(options.embedding_size, options.hidden_size)
                                .num_layers(options.layers)
                                .batch_first(true)));
}

EncoderOutput EncoderImpl::forward(const torch::Tensor& source, const torch::Tensor& lengths) {
  const auto embedded = embedding_(source);  // [B, S, E]
  EncoderOutput out;
  const auto cpu_lengths = lengths.to(torch::kCPU);
  if (cpu_lengths.min().item<std::int64_t>() == source.size(1)) {
    auto [memory, hidden] = rnn_(embedded);
    out.memory = memory;
    out.final = hidden[-1];
    return out;
  }
  namespace rnn = torch::nn::utils::rnn;
  const auto packed = rnn::pack_padded_sequence(embedded, cpu_lengths, /*batch_first=*/true,
                                                /*enforce_sorted=*/false);
  auto [packed_memory, hidden] = rnn_->forward_with_packed_input(packed);
  out.memory = std::get<0>(rnn::pad_packed_sequence(packed_memory, /*batch_first=*/true,
                                                    /*padding_value=*/0.0, source.size(1)));
  out.final = hidden[-1];
  return out;
}

}  // namespace attnlab::models
