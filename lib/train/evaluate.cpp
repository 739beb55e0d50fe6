// Per-length evaluation: fixed evaluation sets, free-running decoding, exact
// counts of right tokens and right sequences.
#include "train/evaluate.h"

#include <algorithm>

#include "models/decoding.h"

namespace attnlab::train {

Counts count_correct(const torch::Tensor& predictions, const data::Batch& batch) {
  const auto t = batch.target_out.size(1);
  auto predicted = predictions.to(torch::kCPU);
  if (predicted.size(1) < t) {
    predicted = torch::constant_pad_nd(predicted, {0, t - predicted.size(1)}, data::kPad);
  }
  predicted = predicted.slice(1, 0, t);
  const auto is_eos = predicted.eq(data::kEos).to(torch::kInt64);
  const auto after_eos = (is_eos.cumsum(1) - is_eos).gt(0);
  predicted = predicted.masked_fill(after_eos, data::kPad);

  const auto mask = batch.target_mask;
  const auto right = predicted.eq(batch.target_out).logical_and(mask);
  Counts counts;
  counts.examples = batch.target_out.size(0);
  counts.tokens = mask.sum().item<std::int64_t>();
  counts.correct_tokens = right.sum().item<std::int64_t>();
  counts.exact = right.sum(1).eq(mask.sum(1)).sum().item<std::int64_t>();
  return counts;
}

std::vector<store::LengthEval> evaluate_lengths(models::Seq2SeqModelImpl& model,
                                                const data::Task& task,
                                                const config::RunSettings& settings,
                                                const torch::Device& device) {
  constexpr int kEvalBatch = 500;
  torch::NoGradGuard no_grad;
  model.eval();
  models::DecodeOptions options;
  options.beam_size = settings.decode.beam_size;
  options.length_penalty = settings.decode.length_penalty;
  std::vector<store::LengthEval> results;
  const auto [lo, hi] = settings.task.test_lengths;
  for (int length = lo; length <= hi; ++length) {
    const auto examples = data::evaluation_examples(task, settings, length);
    Counts total;
    for (size_t begin = 0; begin < examples.size(); begin += kEvalBatch) {
      const size_t end = std::min(examples.size(), begin + kEvalBatch);
      const data::Batch batch =
          data::make_batch({examples.begin() + begin, examples.begin() + end});
      const auto decoded = models::decode(model, data::to_device(batch, device), options);
      const Counts c = count_correct(decoded.tokens, batch);
      total.examples += c.examples;
      total.exact += c.exact;
      total.tokens += c.tokens;
      total.correct_tokens += c.correct_tokens;
    }
    results.push_back(
        {length, static_cast<int>(total.examples),
         static_cast<double>(total.correct_tokens) / static_cast<double>(total.tokens),
         static_cast<double>(total.exact) / static_cast<double>(total.examples)});
  }
  model.train();
  return results;
}

}  // namespace attnlab::train
