// The Transformer; the architecture is described in transformer.h. Incremental
// decoding re-runs the decoder over the whole prefix at each step (outputs
// here are tens of tokens, so a key-value cache would not pay for itself);
// the encoder output and its cross-attention projections are computed once.
#include "models/transformer.h"

#include <cmath>

#include "data/vocabulary.h"

namespace attnlab::models {
namespace {

attention::ScorerOptions attention_options(const TransformerOptions& options) {
  attention::ScorerOptions out;
  out.query_size = options.model_size;
  out.memory_size = options.model_size;
  out.heads = options.heads;
  return out;
}

// Self-attention: the sequence is its own memory.
torch::Tensor attend_self(attention::MultiheadScorerImpl& attention, const torch::Tensor& x,
                          const torch::Tensor& mask) {
  return attention.attend_sequence(x, attention.project_keys(x), mask).context;
}

class TransformerDecoding : public IncrementalDecoder {
 public:
  TransformerDecoding(TransformerImpl* model, std::vector<torch::Tensor> memory_keys,
                      torch::Tensor source_mask)
      : model_(model), memory_keys_(std::move(memory_keys)), source_mask_(std::move(source_mask)) {}

  DecodingStep step(const torch::Tensor& tokens) override {
    prefix_ =
        prefix_.defined() ? torch::cat({prefix_, tokens.unsqueeze(1)}, 1) : tokens.unsqueeze(1);
    const auto [logits, weights] = model_->decode(prefix_, memory_keys_, source_mask_);
    return {torch::log_softmax(logits.select(1, -1), 1), weights.select(1, -1)};
  }

  void select(const torch::Tensor& rows) override {
    for (auto& keys : memory_keys_)
      keys = keys.index_select(0, rows);
    source_mask_ = source_mask_.index_select(0, rows);
    if (prefix_.defined()) prefix_ = prefix_.index_select(0, rows);
  }

 private:
  TransformerImpl* model_;
  std::vector<torch::Tensor> memory_keys_;  // per decoder layer, [N, S, 2D]
  torch::Tensor source_mask_;               // [N, 1, S]
  torch::Tensor prefix_;                    // [N, t] tokens fed so far
};

}  // namespace

torch::Tensor sinusoidal_positions(int length, int model_size) {
  const auto position = torch::arange(length, torch::kFloat64).unsqueeze(1);  // [L, 1]
  const auto pair = torch::arange(0, model_size, 2, torch::kFloat64);         // 2i
  const auto angle = position * torch::exp(pair * (-std::log(10000.0) / model_size));
  auto table = torch::zeros({length, model_size}, torch::kFloat64);
  table.slice(1, 0, model_size, 2).copy_(torch::sin(angle));
  table.slice(1, 1, model_size, 2).copy_(torch::cos(angle.slice(1, 0, model_size / 2)));
  return table.to(torch::kFloat32);
}

torch::Tensor causal_mask(std::int64_t length, const torch::Device& device) {
  return torch::ones({length, length}, torch::TensorOptions().dtype(torch::kBool).device(device))
      .tril();
}

EncoderLayerImpl::EncoderLayerImpl(const TransformerOptions& options) {
  self_attention_ =
      register_module("self_attention",
                      std::make_shared<attention::MultiheadScorerImpl>(attention_options(options)));
  const std::vector<std::int64_t> shape{options.model_size};
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  ff1_ = register_module("ff1", torch::nn::Linear(options.model_size, options.ff_size));
  ff2_ = register_module("ff2", torch::nn::Linear(options.ff_size, options.model_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  auto out = norm1_(x + dropout_(attend_self(*self_attention_, x, mask)));
  return norm2_(out + dropout_(ff2_(dropout_(torch::relu(ff1_(out))))));
}

DecoderLayerImpl::DecoderLayerImpl(const TransformerOptions& options) {
  self_attention_ =
      register_module("self_attention",
                      std::make_shared<attention::MultiheadScorerImpl>(attention_options(options)));
  cross_attention_ =
      register_module("cross_attention",
                      std::make_shared<attention::MultiheadScorerImpl>(attention_options(options)));
  const std::vector<std::int64_t> shape{options.model_size};
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  norm3_ = register_module("norm3", torch::nn::LayerNorm(torch::nn::LayerNormOptions(shape)));
  ff1_ = register_module("ff1", torch::nn::Linear(options.model_size, options.ff_size));
  ff2_ = register_module("ff2", torch::nn::Linear(options.ff_size, options.model_size));
  dropout_ = register_module("dropout", torch::nn::Dropout(options.dropout));
}

torch::Tensor DecoderLayerImpl::project_memory(const torch::Tensor& memory) {
  return cross_attention_->project_keys(memory);
}

DecoderLayerOutput DecoderLayerImpl::forward(const torch::Tensor& y, const torch::Tensor& self_mask,
                                             const torch::Tensor& memory_keys,
                                             const torch::Tensor& source_mask) {
  auto out = norm1_(y + dropout_(attend_self(*self_attention_, y, self_mask)));
  const auto cross = cross_attention_->attend_sequence(out, memory_keys, source_mask);
  out = norm2_(out + dropout_(cross.context));
  out = norm3_(out + dropout_(ff2_(dropout_(torch::relu(ff1_(out))))));
  return {out, cross.weights};
}

TransformerImpl::TransformerImpl(const config::ModelSettings& model,
                                 const config::AttentionSettings& attention, int vocab_size,
                                 int max_source_length, int max_output_tokens)
    : model_size_(model.hidden_size),
      max_positions_(
          std::max(max_source_length,
                   std::max(max_output_tokens, max_output_length(max_source_length)) + 1)),
      learned_positions_(model.positions == config::Positions::kLearned) {
  TransformerOptions options;
  options.model_size = model.hidden_size;
  options.heads = attention.heads;
  options.ff_size = model.ff_size;
  options.dropout = model.dropout;
  source_embedding_ =
      register_module("source_embedding", torch::nn::Embedding(vocab_size, model_size_));
  target_embedding_ =
      register_module("target_embedding", torch::nn::Embedding(vocab_size, model_size_));
  // N(0, D^-1/2) as in the paper's implementations: after the sqrt(D)
  // scale, tokens and positions are of one magnitude. LibTorch's N(0, 1)
  // would drown the positions eightfold at D = 64.
  torch::NoGradGuard no_grad;
  for (auto* table : {&source_embedding_, &target_embedding_})
    (*table)->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(model_size_)));
  if (learned_positions_) {
    learned_ = register_module("positions", torch::nn::Embedding(max_positions_, model_size_));
  } else {
    sinusoids_ = register_buffer("sinusoids", sinusoidal_positions(max_positions_, model_size_));
  }
  dropout_ = register_module("dropout", torch::nn::Dropout(model.dropout));
  encoder_layers_ = register_module("encoder_layers", torch::nn::ModuleList());
  decoder_layers_ = register_module("decoder_layers", torch::nn::ModuleList());
  for (int i = 0; i < model.layers; ++i) {
    encoder_layers_->push_back(EncoderLayer(options));
    decoder_layers_->push_back(DecoderLayer(options));
  }
  output_ = register_module("output", torch::nn::Linear(model_size_, vocab_size));
}

torch::Tensor TransformerImpl::embed(torch::nn::Embedding& table, const torch::Tensor& tokens) {
  const auto length = tokens.size(1);
  TORCH_CHECK(length <= max_positions_, "transformer: a sequence of ", length,
              " tokens is longer than the ", max_positions_, " positions it was built for");
  const auto positions =
      learned_positions_ ? learned_->weight.slice(0, 0, length) : sinusoids_.slice(0, 0, length);
  return dropout_(table->forward(tokens) * std::sqrt(static_cast<double>(model_size_)) +
                  positions.unsqueeze(0));
}

std::vector<torch::Tensor> TransformerImpl::encode(const torch::Tensor& source,
                                                   const torch::Tensor& source_mask) {
  auto x = embed(source_embedding_, source);
  for (const auto& layer : *encoder_layers_)
    x = layer->as<EncoderLayer>()->forward(x, source_mask);
  std::vector<torch::Tensor> keys;
  for (const auto& layer : *decoder_layers_)
    keys.push_back(layer->as<DecoderLayer>()->project_memory(x));
  return keys;
}

std::pair<torch::Tensor, torch::Tensor> TransformerImpl::decode(
    const torch::Tensor& target_in, const std::vector<torch::Tensor>& memory_keys,
    const torch::Tensor& source_mask) {
  auto y = embed(target_embedding_, target_in);
  const auto self_mask = causal_mask(target_in.size(1), target_in.device()).unsqueeze(0);
  torch::Tensor weights;
  size_t i = 0;
  for (const auto& layer : *decoder_layers_) {
    auto out = layer->as<DecoderLayer>()->forward(y, self_mask, memory_keys[i++], source_mask);
    y = out.y;
    weights = out.weights;
  }
  return {output_(y), weights};
}

torch::Tensor TransformerImpl::forward(const data::Batch& batch) {
  const auto source_mask = batch.source_mask.unsqueeze(1);  // [B, 1, S]
  return decode(batch.target_in, encode(batch.source, source_mask), source_mask).first;
}

std::unique_ptr<IncrementalDecoder> TransformerImpl::start(const data::Batch& batch) {
  const auto source_mask = batch.source_mask.unsqueeze(1);
  return std::make_unique<TransformerDecoding>(this, encode(batch.source, source_mask),
                                               source_mask);
}

}  // namespace attnlab::models
