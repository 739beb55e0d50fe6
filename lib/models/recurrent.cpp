// Teacher-forced training pass and incremental decoding for the recurrent
// model.
#include "models/recurrent.h"

#include <functional>

#include "attention/registry.h"
#include "base/registry.h"
#include "data/vocabulary.h"
#include "models/bahdanau_decoder.h"
#include "models/cho_decoder.h"
#include "models/luong_decoder.h"

namespace attnlab::models {
namespace {

using DecoderFactory = std::function<std::shared_ptr<DecoderImpl>(
    const DecoderOptions&, std::shared_ptr<attention::ScorerImpl>)>;

template <typename T>
DecoderFactory decoder_factory() {
  return [](const DecoderOptions& options, std::shared_ptr<attention::ScorerImpl> scorer) {
    return std::make_shared<T>(options, std::move(scorer));
  };
}

const base::Registry<DecoderFactory>& decoders() {
  static const base::Registry<DecoderFactory> kRegistry(
      "decoder", {
                     {"luong", decoder_factory<LuongDecoderImpl>()},
                     {"bahdanau", decoder_factory<BahdanauDecoderImpl>()},
                     {"cho", decoder_factory<ChoDecoderImpl>()},
                 });
  return kRegistry;
}

class RecurrentDecoding : public IncrementalDecoder {
 public:
  RecurrentDecoding(std::shared_ptr<DecoderImpl> decoder, Memory memory, DecoderState state)
      : decoder_(std::move(decoder)), memory_(std::move(memory)), state_(std::move(state)) {}

  DecodingStep step(const torch::Tensor& tokens) override {
    const auto out = decoder_->step(decoder_->embed(tokens), state_, memory_);
    return {torch::log_softmax(decoder_->output(out.features), 1), out.weights};
  }

  void select(const torch::Tensor& rows) override {
    for (torch::Tensor* t : {&memory_.states, &memory_.keys, &memory_.mask, &state_.hidden,
                             &state_.cell, &state_.feed, &state_.context}) {
      if (t->defined()) *t = t->index_select(0, rows);
    }
  }

 private:
  std::shared_ptr<DecoderImpl> decoder_;
  Memory memory_;
  DecoderState state_;
};

// Decoding on the fused engine (fused_engine.h).
class FusedDecoding : public IncrementalDecoder {
 public:
  FusedDecoding(fused::StepperInputs inputs, bool attends)
      : stepper_(std::move(inputs)), attends_(attends) {}

  DecodingStep step(const torch::Tensor& tokens) override {
    const auto ids = tokens.to(torch::kCPU).to(torch::kInt64).contiguous();
    DecodingStep out;
    out.log_probs = torch::empty({stepper_.rows(), stepper_.vocab_size()}, torch::kFloat32);
    if (attends_) out.weights = torch::empty({stepper_.rows(), stepper_.source_length()});
    stepper_.step(ids.data_ptr<std::int64_t>(), out.log_probs.data_ptr<float>(),
                  attends_ ? out.weights.data_ptr<float>() : nullptr);
    return out;
  }

  void select(const torch::Tensor& rows) override { stepper_.select(rows.to(torch::kCPU)); }

 private:
  fused::Stepper stepper_;
  bool attends_;
};

}  // namespace

std::vector<std::string> decoder_names() {
  return decoders().names();
}

RecurrentModelImpl::RecurrentModelImpl(const config::ModelSettings& model,
                                       const config::AttentionSettings& attention, int vocab_size,
                                       int max_source_length)
    : attention_name_(attention.name), settings_(model), vocab_size_(vocab_size) {
  encoder_ = register_module(
      "encoder",
      Encoder(EncoderOptions{vocab_size, model.embedding_size, model.hidden_size, model.layers,
                             model.cell, model.bidirectional, model.dropout}));
  if (model.bidirectional) {
    bridge_ = register_module("bridge", torch::nn::Linear(model.hidden_size, model.hidden_size));
  }
  auto scorer = attention::make_scorer(
      attention.name, attention::scorer_options(attention, model.hidden_size, max_source_length));
  DecoderOptions options;
  options.vocab_size = vocab_size;
  options.embedding_size = model.embedding_size;
  options.hidden_size = model.hidden_size;
  options.cell = model.cell;
  options.input_feeding = model.input_feeding;
  options.dropout = model.dropout;
  decoder_ =
      register_module("decoder", decoders().at(config::name(model.decoder))(options, scorer));
}

std::string RecurrentModelImpl::fused_gap() const {
  if (decoder_->has_fused()) return "";
  if (settings_.decoder == config::Decoder::kCho) return "model.decoder=cho trains on modules";
  return "attention '" + attention_name_ + "' has no fused score";
}

double RecurrentModelImpl::training_flops(const data::Batch& batch) const {
  const double b = static_cast<double>(batch.source.size(0));
  const double s = static_cast<double>(batch.source.size(1));
  const double t = static_cast<double>(batch.target_in.size(1));
  const double e = settings_.embedding_size, h = settings_.hidden_size, v = vocab_size_;
  const double gates = settings_.cell == config::Cell::kLstm ? 4 : 3;
  const int directions = settings_.bidirectional ? 2 : 1;
  const double per_direction = h / directions, g_d = gates * per_direction;
  double encoder = 0;
  for (int layer = 0; layer < settings_.layers; ++layer) {
    const double in = layer == 0 ? e : h;
    encoder += directions * (2 * in * g_d + 2 * per_direction * g_d);
  }
  const attention::ScorerImpl* scorer = decoder_->attention_scorer();
  const bool luong = settings_.decoder == config::Decoder::kLuong;
  // Bahdanau's context, or Cho's summary, into the cell and the readout.
  const bool context = !luong && (scorer || settings_.decoder == config::Decoder::kCho);
  const double extra = (luong && settings_.input_feeding) || context ? h : 0;
  double step = 2 * (e + extra) * gates * h + 2 * h * gates * h + 2 * h * v;
  if (scorer) step += scorer->score_flops(static_cast<int>(s)) + 2 * s * h;
  if (luong) {
    step += 2 * (scorer ? 2 * h : h) * h;
  } else {
    step += 2 * h * 2 * h + 2 * e * 2 * h + (context ? 2 * h * 2 * h : 0);
  }
  double sequence = s * encoder + t * step;
  if (settings_.bidirectional) sequence += 2 * h * h;
  if (scorer) sequence += s * scorer->key_flops();
  return 3 * b * sequence;
}

std::pair<Memory, DecoderState> RecurrentModelImpl::begin(const data::Batch& batch) {
  const auto encoded = fused_ ? encoder_->forward_fused(batch.source, batch.source_lengths)
                              : encoder_(batch.source, batch.source_lengths);
  auto hidden = bridge_ ? torch::tanh(bridge_(encoded.final)) : encoded.final;
  return {decoder_->prepare(encoded.memory, batch.source_mask),
          decoder_->initial_state(hidden, encoded.final_cell)};
}

torch::Tensor RecurrentModelImpl::forward(const data::Batch& batch) {
  auto [memory, state] = begin(batch);
  const auto embedded = decoder_->embed(batch.target_in);  // [B, T, E]
  if (fused_) return decoder_->output(decoder_->forward_fused(embedded, state, memory));
  std::vector<torch::Tensor> features;
  features.reserve(static_cast<size_t>(embedded.size(1)));
  for (std::int64_t t = 0; t < embedded.size(1); ++t) {
    features.push_back(decoder_->step(embedded.select(1, t), state, memory).features);
  }
  // One output projection for all steps is cheaper than T small ones.
  return decoder_->output(torch::stack(features, 1));  // [B, T, V]
}

std::unique_ptr<IncrementalDecoder> RecurrentModelImpl::start(const data::Batch& batch) {
  auto [memory, state] = begin(batch);
  if (fused_ && !is_training()) {
    torch::NoGradGuard no_grad;
    return std::make_unique<FusedDecoding>(decoder_->stepper_inputs(memory, state),
                                           memory.keys.defined());
  }
  return std::make_unique<RecurrentDecoding>(decoder_, std::move(memory), std::move(state));
}

}  // namespace attnlab::models
