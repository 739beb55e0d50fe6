// Free-running decoding of a batch: greedy, and beam search with length
// normalisation, both driving a model's IncrementalDecoder. Decoding stops at
// <eos> or after max_output_length(S) tokens; beam size 1 is exactly greedy.
//
// Shapes: B batch, L decoded length (<= max_output_length(S)), S source length.
#pragma once

#include <torch/torch.h>

#include "data/batch.h"
#include "models/model.h"

namespace attnlab::models {

struct DecodeOptions {
  int beam_size = 1;            // 1 = greedy
  double length_penalty = 0.0;  // alpha: beams rank by log p / ((5 + |y|) / 6)^alpha
  int max_length = 0;           // tokens, <eos> included; 0 = max_output_length(S)
};

struct Decoded {
  torch::Tensor tokens;   // [B, L] int64 on the CPU; <pad> after each row's <eos>
  torch::Tensor weights;  // [B, L, S] attention weights of each step; undefined without attention
  torch::Tensor scores;   // [B] float64: model log-probability of each row's tokens (to <eos>)
};

// Greedy decoding: the most probable token at each step.
Decoded greedy_decode(Seq2SeqModelImpl& model, const data::Batch& batch, int max_length = 0);

// Beam search (Wu et al. 2016, section 7, for the normalisation): keeps
// `beam_size` live hypotheses per row; a hypothesis ending in <eos> among the
// best `beam_size` candidates of a step is finished; a row is done when it
// has beam_size finished hypotheses, or (alpha = 0) when no live one can beat
// its best finished one. Returns each row's best finished hypothesis.
Decoded beam_search(Seq2SeqModelImpl& model, const data::Batch& batch,
                    const DecodeOptions& options);

// The attention weights [B, T, S] of teacher-forced decoding: step t is fed
// the reference's token t - 1 (<bos> first), as in training, so the weights
// of step t are those paid for target token t (batch.target_out). Undefined
// without attention. Call under torch::NoGradGuard with the model in eval().
torch::Tensor forced_attention(Seq2SeqModelImpl& model, const data::Batch& batch);

// greedy_decode() for beam_size 1, beam_search() otherwise. Call under
// torch::NoGradGuard with the model in eval().
Decoded decode(Seq2SeqModelImpl& model, const data::Batch& batch, const DecodeOptions& options);

}  // namespace attnlab::models
