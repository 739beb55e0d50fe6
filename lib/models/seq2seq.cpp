// Teacher-forced training pass and greedy decoding for the recurrent model.
#include "models/seq2seq.h"

#include "attention/registry.h"
#include "data/vocabulary.h"

namespace attnlab::models {

Seq2SeqImpl::Seq2SeqImpl(const config::ModelSettings& model, const std::string& attention,
                         int vocab_size, int max_source_length) {
  encoder_ = register_module("encoder", Encoder(EncoderOptions{vocab_size, model.embedding_size,
                                                               model.hidden_size, model.layers}));
  auto scorer = attention::make_scorer(
      attention, attention::ScorerOptions{model.hidden_size, model.hidden_size, max_source_length});
  decoder_ = register_module(
      "decoder",
      LuongDecoder(DecoderOptions{vocab_size, model.embedding_size, model.hidden_size}, scorer));
}

torch::Tensor Seq2SeqImpl::forward(const data::Batch& batch) {
  const auto encoded = encoder_(batch.source, batch.source_lengths);
  const Memory memory = decoder_->prepare(encoded.memory, batch.source_mask);
  DecoderState state = decoder_->initial_state(encoded.final);
  const auto embedded = decoder_->embed(batch.target_in);  // [B, T, E]
  std::vector<torch::Tensor> attentional;
  attentional.reserve(static_cast<size_t>(embedded.size(1)));
  for (std::int64_t t = 0; t < embedded.size(1); ++t) {
    attentional.push_back(decoder_->step(embedded.select(1, t), state, memory).attentional);
  }
  // One output projection for all steps is cheaper than T small ones.
  return decoder_->output(torch::stack(attentional, 1));  // [B, T, V]
}

Decoded Seq2SeqImpl::greedy(const data::Batch& batch, int steps) {
  const auto encoded = encoder_(batch.source, batch.source_lengths);
  const Memory memory = decoder_->prepare(encoded.memory, batch.source_mask);
  DecoderState state = decoder_->initial_state(encoded.final);
  auto input =
      torch::full({batch.source.size(0)}, data::kBos,
                  torch::TensorOptions().dtype(torch::kInt64).device(batch.source.device()));
  std::vector<torch::Tensor> tokens, weights;
  for (int t = 0; t < steps; ++t) {
    const auto out = decoder_->step(decoder_->embed(input), state, memory);
    input = decoder_->output(out.attentional).argmax(1);
    tokens.push_back(input);
    if (out.weights.defined()) weights.push_back(out.weights);
  }
  Decoded decoded;
  decoded.tokens = torch::stack(tokens, 1);
  if (!weights.empty()) decoded.weights = torch::stack(weights, 1);
  return decoded;
}

}  // namespace attnlab::models
