// The interface every encoder-decoder offers the trainer and the decoders:
// teacher-forced logits for training, and an incremental decoding state that
// greedy and beam search drive one token at a time. make_model() is the one
// table of models.
//
// Shapes: B batch, S source length, T target length, V vocabulary, N rows
// being decoded (B, or B * beam).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/batch.h"

namespace attnlab::models {

struct DecodingStep {
  torch::Tensor log_probs;  // [N, V] log-probabilities of the next token
  torch::Tensor weights;    // [N, S] attention weights of this step; undefined without attention
};

// The state of decoding one batch. Not thread-safe; one per decode.
class IncrementalDecoder {
 public:
  virtual ~IncrementalDecoder() = default;
  // Advances every row by the token it emitted last (<bos> first), tokens [N].
  virtual DecodingStep step(const torch::Tensor& tokens) = 0;
  // Keeps rows `rows` [N'] (int64) of the state, in that order: beams
  // reorder and grow with it.
  virtual void select(const torch::Tensor& rows) = 0;
};

class Seq2SeqModelImpl : public torch::nn::Module {
 public:
  // Teacher-forced logits [B, T, V] for batch.target_in.
  virtual torch::Tensor forward(const data::Batch& batch) = 0;
  // Encodes the batch and returns the state before the first output token.
  virtual std::unique_ptr<IncrementalDecoder> start(const data::Batch& batch) = 0;

  // FLOPs of the matrix products of one training step (forward and
  // backward, a multiply-add is 2) on `batch`; 0 when not counted. The
  // denominator-free half of MFU in `attnlab bench train`.
  virtual double training_flops(const data::Batch& /*batch*/) const { return 0; }

  // The fused engine (fused_engine.h): empty when it covers this model,
  // else why not (training then stays on the modules path).
  virtual std::string fused_gap() const { return "the Transformer trains on modules"; }
  // Trains and decodes on the fused engine from now on (REQUIRES:
  // fused_gap() is empty), or on modules.
  virtual void use_fused(bool /*on*/) {}
};

// Every model name, in table order.
std::vector<std::string> model_names();

// The model that settings.model names (with settings.attention's scorer),
// for a vocabulary of `vocab_size`, sources up to `max_source_length` tokens
// and decoded outputs up to `max_output_tokens` (0: max_output_length(S)).
// Throws std::invalid_argument naming the valid choices for an unknown name.
std::shared_ptr<Seq2SeqModelImpl> make_model(const config::RunSettings& settings, int vocab_size,
                                             int max_source_length, int max_output_tokens = 0);

// Trainable parameters (elements, not tensors).
std::int64_t parameter_count(const torch::nn::Module& model);

// The longest output decoding may produce for a source of `source_length`
// tokens, <eos> included: 2 S + 2, room for tasks whose outputs are longer
// than their inputs.
int max_output_length(int source_length);

}  // namespace attnlab::models
