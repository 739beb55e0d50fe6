// One step of Cho et al.'s decoder; the equations are in cho_decoder.h.
#include "models/cho_decoder.h"

#include <stdexcept>

namespace attnlab::models {

ChoDecoderImpl::ChoDecoderImpl(const DecoderOptions& options,
                               std::shared_ptr<attention::ScorerImpl> scorer)
    : DecoderImpl(options, nullptr, options.embedding_size + options.hidden_size) {
  if (scorer) {
    throw std::invalid_argument(
        "model.decoder=cho has no attention (it feeds the source's summary at every step); "
        "use attention=none, or model.decoder=bahdanau for RNNsearch");
  }
  const int h = options.hidden_size;
  const auto no_bias = [](int in, int out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  u_o_ = register_module("u_o", torch::nn::Linear(h, 2 * h));
  v_o_ = register_module("v_o", no_bias(options.embedding_size, 2 * h));
  c_o_ = register_module("c_o", no_bias(h, 2 * h));
}

DecoderState ChoDecoderImpl::initial_state(const torch::Tensor& hidden, const torch::Tensor& cell) {
  DecoderState state = DecoderImpl::initial_state(hidden, cell);
  state.context = hidden;
  return state;
}

DecoderStep ChoDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                 const Memory&) {
  advance(torch::cat({embedded, state.context}, 1), state);
  const auto readout = u_o_(state.hidden) + v_o_(embedded) + c_o_(state.context);  // [B, 2H]
  DecoderStep out;
  out.features = std::get<0>(readout.view({readout.size(0), hidden_size(), 2}).max(2));
  return out;
}

torch::Tensor ChoDecoderImpl::forward_fused(const torch::Tensor&, const DecoderState&,
                                            const Memory&) {
  throw std::logic_error("model.decoder=cho has no fused engine");
}

fused::StepperInputs ChoDecoderImpl::stepper_inputs(const Memory&, const DecoderState&) {
  throw std::logic_error("model.decoder=cho has no fused engine");
}

void ChoDecoderImpl::describe(fused::DecoderStart*) const {
  throw std::logic_error("model.decoder=cho has no fused engine");
}

}  // namespace attnlab::models
