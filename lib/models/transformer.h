// The Transformer encoder-decoder (Vaswani et al. 2017, section 3), built on
// our own multi-head attention (attention/multihead.h), the same code a
// recurrent decoder uses with attention=multihead. Post-layer-norm as in the
// paper: x = LayerNorm(x + Dropout(Sublayer(x))). Embeddings are scaled by
// sqrt(d_model) and summed with sinusoidal (section 3.5) or learned
// positions. The decoder's self-attention is causal: position t sees
// positions <= t only.
//
// Shapes: B batch, S source length, T target length, D model size
// (model.hidden_size), V vocabulary.
#pragma once

#include <vector>

#include "attention/multihead.h"
#include "config/settings.h"
#include "models/model.h"

namespace attnlab::models {

// Sinusoidal positions [length, D] (section 3.5):
//   PE(pos, 2i) = sin(pos / 10000^(2i/D)), PE(pos, 2i+1) = cos(pos / 10000^(2i/D)).
torch::Tensor sinusoidal_positions(int length, int model_size);

// [T, T] bool, true where query position t may attend to key position u (u <= t).
torch::Tensor causal_mask(std::int64_t length, const torch::Device& device);

struct TransformerOptions {
  int model_size = 64;  // D
  int heads = 4;
  int ff_size = 256;
  double dropout = 0.1;
};

class EncoderLayerImpl : public torch::nn::Module {
 public:
  explicit EncoderLayerImpl(const TransformerOptions& options);
  // x [B, S, D], mask [B, 1, S] -> [B, S, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);

 private:
  std::shared_ptr<attention::MultiheadScorerImpl> self_attention_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear ff1_{nullptr}, ff2_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(EncoderLayer);

struct DecoderLayerOutput {
  torch::Tensor y;        // [B, T, D]
  torch::Tensor weights;  // [B, T, S] cross-attention weights (mean over heads)
};

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const TransformerOptions& options);
  // Cross-attention keys [B, S, 2D] of the encoder output, computed once.
  torch::Tensor project_memory(const torch::Tensor& memory);
  // y [B, T, D], self_mask [., T, T], memory_keys from project_memory(),
  // source_mask [B, 1, S].
  DecoderLayerOutput forward(const torch::Tensor& y, const torch::Tensor& self_mask,
                             const torch::Tensor& memory_keys, const torch::Tensor& source_mask);

 private:
  std::shared_ptr<attention::MultiheadScorerImpl> self_attention_, cross_attention_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  torch::nn::Linear ff1_{nullptr}, ff2_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(DecoderLayer);

class TransformerImpl : public Seq2SeqModelImpl {
 public:
  // REQUIRES: model.name == "transformer", attention.heads divides model.hidden_size.
  TransformerImpl(const config::ModelSettings& model, const config::AttentionSettings& attention,
                  int vocab_size, int max_source_length, int max_output_tokens = 0);

  torch::Tensor forward(const data::Batch& batch) override;
  std::unique_ptr<IncrementalDecoder> start(const data::Batch& batch) override;

  // Encodes source [B, S] and projects the output for each decoder layer's
  // cross-attention: one [B, S, 2D] entry per decoder layer, computed once
  // per batch.
  std::vector<torch::Tensor> encode(const torch::Tensor& source, const torch::Tensor& source_mask);
  // Logits [B, T, V] of target prefix `target_in` [B, T] and the last
  // decoder layer's cross-attention weights [B, T, S]. `memory_keys`: from
  // encode().
  std::pair<torch::Tensor, torch::Tensor> decode(const torch::Tensor& target_in,
                                                 const std::vector<torch::Tensor>& memory_keys,
                                                 const torch::Tensor& source_mask);

 private:
  // Scaled embeddings plus positions, then dropout: [B, L] -> [B, L, D].
  torch::Tensor embed(torch::nn::Embedding& table, const torch::Tensor& tokens);

  int model_size_;
  int max_positions_;
  bool learned_positions_;
  torch::nn::Embedding source_embedding_{nullptr}, target_embedding_{nullptr};
  torch::nn::Embedding learned_{nullptr};  // learned positions, or null
  torch::Tensor sinusoids_;                // [max_positions, D] buffer, or undefined
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::ModuleList encoder_layers_{nullptr}, decoder_layers_{nullptr};
  torch::nn::Linear output_{nullptr};
};

}  // namespace attnlab::models
