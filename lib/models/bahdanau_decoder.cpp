// One Bahdanau decoder step; the equations are in bahdanau_decoder.h.
#include "models/bahdanau_decoder.h"

namespace attnlab::models {

BahdanauDecoderImpl::BahdanauDecoderImpl(const DecoderOptions& options,
                                         std::shared_ptr<attention::ScorerImpl> scorer)
    : DecoderImpl(options, scorer, options.embedding_size + (scorer ? options.hidden_size : 0)) {
  const int h = options.hidden_size;
  const auto no_bias = [](int in, int out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  u_o_ = register_module("u_o", torch::nn::Linear(h, 2 * h));
  v_o_ = register_module("v_o", no_bias(options.embedding_size, 2 * h));
  if (scorer) c_o_ = register_module("c_o", no_bias(h, 2 * h));
}

DecoderStep BahdanauDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                      const Memory& memory) {
  DecoderStep out;
  torch::Tensor context;
  if (scorer()) {
    const auto read = scorer()->read(state.hidden, memory.keys, memory.states, memory.mask);
    out.weights = read.weights;
    context = read.context;
    advance(torch::cat({embedded, context}, 1), state);
  } else {
    advance(embedded, state);
  }
  auto readout = u_o_(state.hidden) + v_o_(embedded);  // [B, 2H]
  if (context.defined()) readout = readout + c_o_(context);
  out.features = std::get<0>(readout.view({readout.size(0), hidden_size(), 2}).max(2));
  return out;
}

}  // namespace attnlab::models
