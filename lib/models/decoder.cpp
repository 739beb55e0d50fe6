// The shared parts of the recurrent decoders.
#include "models/decoder.h"

namespace attnlab::models {

DecoderImpl::DecoderImpl(const DecoderOptions& options,
                         std::shared_ptr<attention::ScorerImpl> scorer, int cell_input_size)
    : hidden_size_(options.hidden_size), scorer_(std::move(scorer)) {
  TORCH_CHECK(options.cell == "gru" || options.cell == "lstm", "decoder: unknown cell '",
              options.cell, "'; valid: gru, lstm");
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  if (options.cell == "gru") {
    gru_ = register_module("cell", torch::nn::GRUCell(cell_input_size, options.hidden_size));
  } else {
    lstm_ = register_module("cell", torch::nn::LSTMCell(cell_input_size, options.hidden_size));
  }
  if (scorer_) register_module("scorer", scorer_);
  w_s_ = register_module("w_s", torch::nn::Linear(options.hidden_size, options.vocab_size));
}

Memory DecoderImpl::prepare(const torch::Tensor& states, const torch::Tensor& mask) {
  Memory memory{states, torch::Tensor(), mask};
  if (scorer_) memory.keys = scorer_->project_keys(states);
  return memory;
}

DecoderState DecoderImpl::initial_state(const torch::Tensor& hidden, const torch::Tensor& cell) {
  DecoderState state;
  state.hidden = hidden;
  if (lstm_) state.cell = cell.defined() ? cell : torch::zeros_like(hidden);
  return state;
}

void DecoderImpl::advance(const torch::Tensor& input, DecoderState& state) {
  if (gru_) {
    state.hidden = gru_(input, state.hidden);
    return;
  }
  std::tie(state.hidden, state.cell) = lstm_(input, std::make_tuple(state.hidden, state.cell));
}

}  // namespace attnlab::models
