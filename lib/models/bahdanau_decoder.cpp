// One Bahdanau decoder step; the equations are in bahdanau_decoder.h.
#include "models/bahdanau_decoder.h"

namespace attnlab::models {

BahdanauDecoderImpl::BahdanauDecoderImpl(const DecoderOptions& options,
                                         std::shared_ptr<attention::ScorerImpl> scorer)
    : BahdanauDecoderImpl(options, scorer, scorer != nullptr) {}

BahdanauDecoderImpl::BahdanauDecoderImpl(const DecoderOptions& options,
                                         std::shared_ptr<attention::ScorerImpl> scorer,
                                         bool context)
    : DecoderImpl(options, scorer, options.embedding_size + (context ? options.hidden_size : 0)) {
  const int h = options.hidden_size;
  const auto no_bias = [](int in, int out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  u_o_ = register_module("u_o", torch::nn::Linear(h, 2 * h));
  v_o_ = register_module("v_o", no_bias(options.embedding_size, 2 * h));
  if (context) c_o_ = register_module("c_o", no_bias(h, 2 * h));
}

torch::Tensor BahdanauDecoderImpl::readout(const torch::Tensor& hidden,
                                           const torch::Tensor& embedded,
                                           const torch::Tensor& context) {
  auto t = u_o_(hidden) + v_o_(embedded);  // [B, 2H]
  if (context.defined()) t = t + c_o_(context);
  return std::get<0>(t.view({t.size(0), hidden_size(), 2}).max(2));
}

DecoderStep BahdanauDecoderImpl::step(const torch::Tensor& embedded, DecoderState& state,
                                      const Memory& memory) {
  DecoderStep out;
  torch::Tensor context;
  if (scorer()) {
    const auto read =
        scorer()->read(state.hidden, memory.keys, memory.states, memory.mask, state.step);
    out.weights = read.weights;
    context = read.context;
    advance(torch::cat({embedded, context}, 1), state);
  } else {
    advance(embedded, state);
  }
  out.features = readout(state.hidden, embedded, context);
  ++state.step;
  return out;
}

torch::Tensor BahdanauDecoderImpl::forward_fused(const torch::Tensor& embedded,
                                                 const DecoderState& state, const Memory& memory) {
  const auto in = fused_inputs(embedded, state, memory, scorer() != nullptr);
  const auto loop = fused::decoder_loop(in);
  // The readout needs no recurrence: all steps at once.
  auto readout = u_o_(loop.states) + v_o_(embedded.transpose(0, 1));  // [T, B, 2H]
  if (scorer()) readout = readout + c_o_(loop.contexts);
  const auto t = readout.size(0), b = readout.size(1);
  const auto features = std::get<0>(readout.view({t, b, hidden_size(), 2}).max(3));
  return features.transpose(0, 1).contiguous();  // [B, T, H]
}

void BahdanauDecoderImpl::describe(fused::DecoderStart* start) const {
  start->kind = fused::DecoderKind::bahdanau;
}

fused::StepperInputs BahdanauDecoderImpl::stepper_inputs(const Memory& memory,
                                                         const DecoderState& state) {
  auto in = DecoderImpl::stepper_inputs(memory, state);
  in.u_o_w = u_o_->weight;
  in.u_o_b = u_o_->bias;
  in.v_o_w = v_o_->weight;
  if (c_o_) in.c_o_w = c_o_->weight;
  return in;
}

}  // namespace attnlab::models
