// The shared parts of the recurrent decoders.
#include "models/decoder.h"

namespace attnlab::models {
namespace {

// The recurrent cell's weights, whichever cell it is.
struct CellWeights {
  torch::Tensor w_ih, b_ih, w_hh, b_hh;
};

CellWeights weights_of(const torch::nn::GRUCell& gru, const torch::nn::LSTMCell& lstm) {
  if (gru) return {gru->weight_ih, gru->bias_ih, gru->weight_hh, gru->bias_hh};
  return {lstm->weight_ih, lstm->bias_ih, lstm->weight_hh, lstm->bias_hh};
}

}  // namespace

DecoderImpl::DecoderImpl(const DecoderOptions& options,
                         std::shared_ptr<attention::ScorerImpl> scorer, int cell_input_size)
    : hidden_size_(options.hidden_size), scorer_(std::move(scorer)) {
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
  if (options.cell == config::Cell::kGru) {
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

fused::DecoderLoopInputs DecoderImpl::fused_inputs(const torch::Tensor& embedded,
                                                   const DecoderState& state, const Memory& memory,
                                                   bool extra) {
  const auto cell = weights_of(gru_, lstm_);
  const auto e = embedded.size(2);
  fused::DecoderLoopInputs in;
  fill_start(memory, state, &in);
  in.gx = at::linear(embedded.transpose(0, 1), cell.w_ih.narrow(1, 0, e), cell.b_ih);  // [T, B, G]
  if (extra) in.w_extra = cell.w_ih.narrow(1, e, hidden_size_);
  return in;
}

fused::StepperInputs DecoderImpl::stepper_inputs(const Memory& memory, const DecoderState& state) {
  fused::StepperInputs in;
  fill_start(memory, state, &in);
  const auto cell = weights_of(gru_, lstm_);
  in.embedding = embedding_->weight;
  in.w_ih = cell.w_ih;
  in.b_ih = cell.b_ih;
  in.w_s = w_s_->weight;
  in.b_s = w_s_->bias;
  return in;
}

void DecoderImpl::fill_start(const Memory& memory, const DecoderState& state,
                             fused::DecoderStart* start) {
  const auto cell = weights_of(gru_, lstm_);
  start->lstm = !gru_;
  start->scorer = scorer_.get();
  start->w_hh = cell.w_hh;
  start->b_hh = cell.b_hh;
  start->h0 = state.hidden;
  start->c0 = state.cell;
  start->memory = memory.states;
  start->keys = memory.keys;
  start->mask = memory.mask;
  describe(start);
}

}  // namespace attnlab::models
