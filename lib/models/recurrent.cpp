// Teacher-forced training pass and incremental decoding for the recurrent
// model.
#include "models/recurrent.h"

#include <functional>
#include <stdexcept>

#include "attention/registry.h"
#include "config/errors.h"
#include "data/vocabulary.h"
#include "models/bahdanau_decoder.h"
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

const std::vector<std::pair<std::string, DecoderFactory>>& decoder_table() {
  static const std::vector<std::pair<std::string, DecoderFactory>> kTable = {
      {"luong", decoder_factory<LuongDecoderImpl>()},
      {"bahdanau", decoder_factory<BahdanauDecoderImpl>()},
  };
  return kTable;
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
                             &state_.cell, &state_.feed}) {
      if (t->defined()) *t = t->index_select(0, rows);
    }
  }

 private:
  std::shared_ptr<DecoderImpl> decoder_;
  Memory memory_;
  DecoderState state_;
};

}  // namespace

std::vector<std::string> decoder_names() {
  std::vector<std::string> names;
  for (const auto& entry : decoder_table())
    names.push_back(entry.first);
  return names;
}

RecurrentModelImpl::RecurrentModelImpl(const config::ModelSettings& model,
                                       const config::AttentionSettings& attention, int vocab_size,
                                       int max_source_length) {
  encoder_ = register_module(
      "encoder",
      Encoder(EncoderOptions{vocab_size, model.embedding_size, model.hidden_size, model.layers,
                             model.cell, model.bidirectional, model.dropout}));
  if (model.bidirectional) {
    bridge_ = register_module("bridge", torch::nn::Linear(model.hidden_size, model.hidden_size));
  }
  attention::ScorerOptions scorer_options;
  scorer_options.query_size = model.hidden_size;
  scorer_options.memory_size = model.hidden_size;
  scorer_options.max_source_length = max_source_length;
  scorer_options.heads = attention.heads;
  auto scorer = attention::make_scorer(attention.name, scorer_options);
  DecoderOptions options;
  options.vocab_size = vocab_size;
  options.embedding_size = model.embedding_size;
  options.hidden_size = model.hidden_size;
  options.cell = model.cell;
  options.input_feeding = model.input_feeding;
  options.dropout = model.dropout;
  for (const auto& [name, make] : decoder_table()) {
    if (name == model.decoder) decoder_ = register_module("decoder", make(options, scorer));
  }
  if (!decoder_) {
    throw std::invalid_argument("unknown decoder '" + model.decoder +
                                "'; valid: " + config::join(decoder_names()));
  }
}

std::pair<Memory, DecoderState> RecurrentModelImpl::begin(const data::Batch& batch) {
  const auto encoded = encoder_(batch.source, batch.source_lengths);
  auto hidden = bridge_ ? torch::tanh(bridge_(encoded.final)) : encoded.final;
  return {decoder_->prepare(encoded.memory, batch.source_mask),
          decoder_->initial_state(hidden, encoded.final_cell)};
}

torch::Tensor RecurrentModelImpl::forward(const data::Batch& batch) {
  auto [memory, state] = begin(batch);
  const auto embedded = decoder_->embed(batch.target_in);  // [B, T, E]
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
  return std::make_unique<RecurrentDecoding>(decoder_, std::move(memory), std::move(state));
}

}  // namespace attnlab::models
