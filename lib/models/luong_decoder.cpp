// One Luong decoder step; the equations are in luong_decoder.h.
#include "models/luong_decoder.h"

namespace attnlab::models {

LuongDecoderImpl::LuongDecoderImpl(const DecoderOptions& options,
                                   std::shared_ptr<attention::ScorerImpl> scorer)
    : DecoderImpl(options, scorer,
                  options.embedding_size + (options.input_feeding ? options.hidden_size : 0)),
      input_feeding_(options.input_feeding) {
  const int combined = scorer ? 2 * options.hidden_size : options.hidden_size;
  w_c_ = register_module(
      "w_c",
      torch::nn::Linear(torch::nn::LinearOptions(combined, options.hidden_size).bias(false)));
}

DecoderState LuongDecoderImpl::initial_state(const torch::Tensor& hidden,
                                             const torch::Tensor& cell) {
  DecoderState state = DecoderImpl::initial_state(hidden, cell);
  if (input_feeding_) state.feed = torch::zeros_like(hidden);  // no h~_0: zeros
  return state;
}

DecoderStep LuongDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                   const Memory& memory) {
  advance(input_feeding_ ? torch::cat({embedded, state.feed}, 1) : embedded, state);
  DecoderStep out;
  if (scorer()) {
    const auto read =
        scorer()->read(state.hidden, memory.keys, memory.states, memory.mask, state.step);
    out.weights = read.weights;
    out.features = torch::tanh(w_c_(torch::cat({read.context, state.hidden}, 1)));
  } else {
    out.features = torch::tanh(w_c_(state.hidden));
  }
  if (input_feeding_) state.feed = out.features;
  ++state.step;
  return out;
}

torch::Tensor LuongDecoderImpl::forward_fused(const torch::Tensor& embedded,
                                              const DecoderState& state, const Memory& memory) {
  const auto in = fused_inputs(embedded, state, memory, input_feeding_);
  return fused::decoder_loop(in).features.transpose(0, 1).contiguous();  // [B, T, H]
}

void LuongDecoderImpl::describe(fused::DecoderStart* start) const {
  start->kind = fused::DecoderKind::luong;
  start->input_feeding = input_feeding_;
  start->w_c = w_c_->weight;
}

}  // namespace attnlab::models
