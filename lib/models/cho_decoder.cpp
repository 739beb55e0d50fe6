// One step of Cho et al.'s decoder; the equations are in cho_decoder.h.
#include "models/cho_decoder.h"

#include <stdexcept>

namespace attnlab::models {

ChoDecoderImpl::ChoDecoderImpl(const DecoderOptions& options,
                               std::shared_ptr<attention::ScorerImpl> scorer)
    : BahdanauDecoderImpl(options, nullptr, true) {
  if (scorer) {
    throw std::invalid_argument(
        "model.decoder=cho has no attention (it feeds the source's summary at every step); "
        "use attention=none, or model.decoder=bahdanau for RNNsearch");
  }
}

DecoderState ChoDecoderImpl::initial_state(const torch::Tensor& hidden, const torch::Tensor& cell) {
  DecoderState state = DecoderImpl::initial_state(hidden, cell);
  state.context = hidden;
  return state;
}

DecoderStep ChoDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                 const Memory&) {
  advance(torch::cat({embedded, state.context}, 1), state);
  DecoderStep out;
  out.features = readout(state.hidden, embedded, state.context);
  ++state.step;
  return out;
}

torch::Tensor ChoDecoderImpl::forward_fused(const torch::Tensor&, const DecoderState&,
                                            const Memory&) {
  throw std::logic_error("model.decoder=cho has no fused engine");
}

fused::StepperInputs ChoDecoderImpl::stepper_inputs(const Memory&, const DecoderState&) {
  throw std::logic_error("model.decoder=cho has no fused engine");
}

}  // namespace attnlab::models
