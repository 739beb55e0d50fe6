// Evaluation by free-running decoding (greedy, or beam search with
// settings.decode.beam_size > 1), per task length: the decoder is fed its own
// predictions, never the reference, as at test time. Every length bucket and
// every whole split gets token accuracy, exact match, error rate (edit
// distance over reference tokens: PER for phonemes, WER for words, CER for
// characters) and corpus BLEU, with its number of examples, and the one
// teacher-forced number: perplexity, exp of the mean cross-entropy of the
// reference tokens (Luong et al. 2015 report it beside BLEU). Where the task
// knows its gold alignment (copy, reverse, sort) and the model attends, also
// how well the attention aligns, measured as Luong et al. (2015, section
// 5.4) did: the reference is force-decoded (teacher forcing), each output
// token is linked to the source position of its strongest weight, and those
// links are scored against the gold ones by alignment error rate (Och and
// Ney 2003), AER = 1 - (|A & S| + |A & P|) / (|A| + |S|), and by the share
// of steps whose link is a gold one.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "config/settings.h"
#include "data/batch.h"
#include "data/task.h"
#include "models/decoding.h"
#include "models/model.h"
#include "store/records.h"
#include "train/metrics.h"

namespace attnlab::train {

struct Counts {
  std::int64_t examples = 0;
  std::int64_t exact = 0;           // predictions equal to the reference, <eos> included
  std::int64_t tokens = 0;          // reference tokens, <eos> included
  std::int64_t correct_tokens = 0;  // reference positions predicted right
  store::EditSums edit_sums;        // edit distance to the closest reference, per example
  BleuStats bleu;
  double cross_entropy = 0;  // teacher-forced, summed over reference tokens (<eos> included)
  std::string outcomes;      // '1' (exact) or '0' per example, in order

  // Alignment (when measured): output steps linked (|A| = |S|, <eos>
  // excluded), links on the sure gold position (|A & S|), links on any gold
  // position (|A & P|).
  std::int64_t aligned_steps = 0;
  std::int64_t sure_links = 0;
  std::int64_t gold_links = 0;

  Counts& operator+=(const Counts& other);
  store::Scores scores() const;
};

// The alignment counts of forced attention `weights` [B, T, S] (T covering
// every target token) against each example's gold links
// (data::Task::gold_alignment, one list per target token).
Counts count_alignment(const torch::Tensor& weights,
                       const std::vector<std::vector<std::vector<int>>>& gold);

// Compares predictions [B, T'] with batch.target_out [B, T]. Everything
// after a prediction's first <eos>, or past its end, counts as wrong.
// Accuracies only; count() adds edit distance and BLEU.
Counts count_correct(const torch::Tensor& predictions, const data::Batch& batch);

// All counts of `predictions` for `examples` (the batch's examples, in order);
// BLEU counts n-grams of the task's own tokens (train/metrics.h).
Counts count(const torch::Tensor& predictions, const data::Batch& batch,
             const std::vector<data::Example>& examples);

// The longest output decoding produces for examples of `length` or shorter,
// <eos> included: room for twice the longest target, so that a wrong, longer
// output still shows in the error rate.
int decode_length_limit(const data::Task& task, int length);

// The dev sample that draws the learning curve and chooses the weights:
// about settings.train.dev_examples dev examples of the training lengths,
// fixed for a seed. A corpus's dev split is subsampled as it comes (its own
// mix of lengths); a generated task's gets the same number per length.
std::vector<data::Example> dev_sample(const data::Task& task, const config::RunSettings& settings);

// Exact match and token accuracy of greedy decoding of `examples`.
store::Scores greedy_scores(models::Seq2SeqModelImpl& model,
                            const std::vector<data::Example>& examples, const data::Task& task,
                            const torch::Device& device);

struct Evaluation {
  std::vector<store::LengthEval> lengths;       // one per length in settings.task.test_lengths
  std::vector<store::SplitScores> splits;       // 'test' (all those lengths), 'dev' (corpus tasks)
  std::vector<store::DecodedExample> examples;  // a few, with their attention
};

// Decodes `sources` (symbol ids, no specials) under `options`, each with its
// output and attention weights (none without attention): inputs of one's
// own, for `attnlab decode`. Puts `model` in eval mode.
std::vector<store::DecodedExample> decode_sources(
    models::Seq2SeqModelImpl& model, const std::vector<std::vector<std::int64_t>>& sources,
    const data::Vocabulary& vocabulary, const models::DecodeOptions& options);

// Decodes the fixed test set of every length in settings.task.test_lengths
// (lengths without examples are left out), and a corpus's whole dev split.
Evaluation evaluate(models::Seq2SeqModelImpl& model, const data::Task& task,
                    const config::RunSettings& settings, const torch::Device& device);

}  // namespace attnlab::train
