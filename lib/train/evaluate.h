// Evaluation by free-running decoding (greedy, or beam search with
// settings.decode.beam_size > 1), per source length: the decoder is fed its
// own predictions, never the reference, as at test time.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "config/settings.h"
#include "data/batch.h"
#include "data/task.h"
#include "models/model.h"
#include "store/run_store.h"

namespace attnlab::train {

struct Counts {
  std::int64_t examples = 0;
  std::int64_t exact = 0;           // predictions equal to the reference, <eos> included
  std::int64_t tokens = 0;          // reference tokens, <eos> included
  std::int64_t correct_tokens = 0;  // reference positions predicted right
};

// Compares predictions [B, T'] with batch.target_out [B, T]. Everything
// after a prediction's first <eos>, or past its end, counts as wrong.
Counts count_correct(const torch::Tensor& predictions, const data::Batch& batch);

// Token and sequence accuracy for every length in settings.task.test_lengths,
// on the fixed evaluation set of each length.
std::vector<store::LengthEval> evaluate_lengths(models::Seq2SeqModelImpl& model,
                                                const data::Task& task,
                                                const config::RunSettings& settings,
                                                const torch::Device& device);

}  // namespace attnlab::train
