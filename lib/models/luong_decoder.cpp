// One Luong decoder step; the equations are in luong_decoder.h.
#include "models/luong_decoder.h"

#include "attention/attend.h"

namespace attnlab::models {

LuongDecoderImpl::LuongDecoderImpl(const DecoderOptions& options,
                                   std::shared_ptr<attention::ScorerImpl> scorer)
    : hidden_size_(options.hidden_size), scorer_(std::move(scorer)) {
  embedding_ = register_module("embedding",
                               torch::nn::Embedding(options.vocab_size, options.embedding_size));
  cell_ = register_module("cell", torch::nn::GRUCell(options.embedding_size + options.hidden_size,
                                                     options.hidden_size));
  if (scorer_) register_module("scorer", scorer_);
  const int combined = scorer_ ? 2 * options.hidden_size : options.hidden_size;
  w_c_ = register_module(
      "w_c",
      torch::nn::Linear(torch::nn::LinearOptions(combined, options.hidden_size).bias(false)));
  w_s_ = register_module("w_s", torch::nn::Linear(options.hidden_size, options.vocab_size));
}

Memory LuongDecoderImpl::prepare(const torch::Tensor& states, const torch::Tensor& mask) {
  Memory memory{states, torch::Tensor(), mask};
  if (scorer_) memory.keys = scorer_->project_keys(states);
  return memory;
}

DecoderState LuongDecoderImpl::initial_state(const torch::Tensor& encoder_final) {
  return {encoder_final,
          torch::zeros({encoder_final.size(0), hidden_size_}, encoder_final.options())};
}

DecoderStep LuongDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                   const Memory& memory) {
  state.hidden = cell_(torch::cat({embedded, state.attentional}, 1), state.hidden);
  DecoderStep out;
  if (scorer_) {
    const auto energies = scorer_->score(state.hidden, memory.keys);
    auto attended = attention::attend(energies, memory.states, memory.mask);
    out.weights = attended.weights;
    out.attentional = torch::tanh(w_c_(torch::cat({attended.context, state.hidden}, 1)));
  } else {
    out.attentional = torch::tanh(w_c_(state.hidden));
  }
  state.attentional = out.attentional;
  return out;
}

}  // namespace attnlab::models
