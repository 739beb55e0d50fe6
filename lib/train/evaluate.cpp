// Evaluation: fixed evaluation sets, free-running decoding, exact counts.
#include "train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "models/decoding.h"

namespace attnlab::train {
namespace {

constexpr int kEvalBatch = 500;
constexpr int kExamplesPerLength = 2;  // decoded examples kept per chosen length

// The tokens of a decoded row up to its <eos> (or the padding after it).
std::vector<std::int64_t> until_eos(const torch::Tensor& row) {
  std::vector<std::int64_t> out;
  const auto* p = row.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < row.size(0) && p[i] != data::kEos && p[i] != data::kPad; ++i)
    out.push_back(p[i]);
  return out;
}

// The reference positions (<eos> included) a decoded row predicts right, as
// count_correct() counts them: nothing after the row's first <eos> is right.
std::int64_t position_matches(const torch::Tensor& row,
                              const std::vector<std::int64_t>& reference) {
  const auto* p = row.data_ptr<std::int64_t>();
  std::int64_t right = 0;
  for (size_t j = 0; j <= reference.size() && static_cast<std::int64_t>(j) < row.size(0); ++j) {
    if (p[j] == (j < reference.size() ? reference[j] : data::kEos)) ++right;
    if (p[j] == data::kEos) break;
  }
  return right;
}

// Moves example `i`'s accuracy counts (count_correct's, against `target`)
// onto `reference`, the alternative its prediction `row` is closest to.
void rescore_against(const torch::Tensor& row, const std::vector<std::int64_t>& target,
                     const std::vector<std::int64_t>& reference, size_t i, Counts* counts) {
  const std::int64_t right = position_matches(row, reference);
  const auto tokens = static_cast<std::int64_t>(reference.size()) + 1;
  counts->tokens += tokens - (static_cast<std::int64_t>(target.size()) + 1);
  counts->correct_tokens += right - position_matches(row, target);
  if (right == tokens && counts->outcomes[i] == '0') {
    ++counts->exact;
    counts->outcomes[i] = '1';
  }
}

store::DecodedExample describe(const data::Example& example, const torch::Tensor& tokens,
                               const torch::Tensor& weights, const data::Vocabulary& vocabulary) {
  store::DecodedExample d;
  d.length = example.length;
  d.source = vocabulary.render(example.source);
  d.reference = vocabulary.render(example.target);
  const auto predicted = until_eos(tokens);
  d.prediction = vocabulary.render(predicted);
  for (const auto id : example.source)
    d.source_tokens.push_back(vocabulary.name(id));
  const size_t steps = std::min<size_t>(predicted.size() + 1, static_cast<size_t>(tokens.size(0)));
  for (size_t i = 0; i < steps; ++i)
    d.output_tokens.push_back(
        vocabulary.name(tokens[static_cast<std::int64_t>(i)].item<std::int64_t>()));
  if (weights.defined()) {
    const auto w = weights.slice(0, 0, static_cast<std::int64_t>(steps))
                       .slice(1, 0, static_cast<std::int64_t>(example.source.size()))
                       .to(torch::kFloat32)
                       .contiguous();
    d.weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
  }
  return d;
}

// The alignment counts of `part` (batched as `batch`), where the task has
// gold links and the model attends; none otherwise.
Counts alignment(models::Seq2SeqModelImpl& model, const data::Batch& batch, const data::Task& task,
                 const std::vector<data::Example>& part) {
  std::vector<std::vector<std::vector<int>>> gold;
  for (const auto& e : part) {
    gold.push_back(task.gold_alignment(e));
    if (gold.back().size() != e.target.size()) return {};
  }
  const auto weights = models::forced_attention(model, batch);
  return weights.defined() ? count_alignment(weights, gold) : Counts{};
}

struct Decoding {
  Counts counts;
  std::vector<store::DecodedExample> examples;
};

Decoding decode_all(models::Seq2SeqModelImpl& model, const std::vector<data::Example>& examples,
                    const data::Task& task, const models::DecodeOptions& options,
                    const torch::Device& device, int keep, bool align) {
  Decoding out;
  for (size_t begin = 0; begin < examples.size(); begin += kEvalBatch) {
    const size_t end = std::min(examples.size(), begin + kEvalBatch);
    const std::vector<data::Example> part(examples.begin() + static_cast<std::ptrdiff_t>(begin),
                                          examples.begin() + static_cast<std::ptrdiff_t>(end));
    const data::Batch batch = data::make_batch(part);
    const auto on_device = data::to_device(batch, device);
    const auto decoded = models::decode(model, on_device, options);
    Counts counts = count(decoded.tokens, batch, part);
    const auto logits = model.forward(on_device);  // [B, T, V], teacher-forced
    counts.cross_entropy = torch::nn::functional::cross_entropy(
                               logits.reshape({-1, logits.size(2)}).to(torch::kFloat64),
                               on_device.target_out.reshape({-1}),
                               torch::nn::functional::CrossEntropyFuncOptions()
                                   .ignore_index(data::kPad)
                                   .reduction(torch::kSum))
                               .item<double>();
    if (align) counts += alignment(model, on_device, task, part);
    out.counts += counts;
    const auto weights =
        decoded.weights.defined() ? decoded.weights.to(torch::kCPU) : decoded.weights;
    for (size_t i = 0; i < part.size() && static_cast<int>(out.examples.size()) < keep; ++i) {
      const auto row = static_cast<std::int64_t>(i);
      out.examples.push_back(describe(part[i], decoded.tokens[row],
                                      weights.defined() ? weights[row] : weights,
                                      task.vocabulary()));
    }
  }
  return out;
}

}  // namespace

std::vector<store::DecodedExample> decode_sources(
    models::Seq2SeqModelImpl& model, const std::vector<std::vector<std::int64_t>>& sources,
    const data::Vocabulary& vocabulary, const models::DecodeOptions& options) {
  torch::NoGradGuard no_grad;
  model.eval();
  std::vector<store::DecodedExample> out;
  for (const auto& source : sources) {
    // One at a time: each is decoded as it would be alone, whatever its
    // neighbours' lengths.
    const data::Example example{source, {}, static_cast<int>(source.size())};
    const auto decoded = models::decode(model, data::make_batch({example}), options);
    out.push_back(describe(example, decoded.tokens[0],
                           decoded.weights.defined() ? decoded.weights[0] : decoded.weights,
                           vocabulary));
  }
  return out;
}

Counts& Counts::operator+=(const Counts& other) {
  examples += other.examples;
  exact += other.exact;
  tokens += other.tokens;
  correct_tokens += other.correct_tokens;
  edit_sums += other.edit_sums;
  bleu += other.bleu;
  cross_entropy += other.cross_entropy;
  outcomes += other.outcomes;
  aligned_steps += other.aligned_steps;
  sure_links += other.sure_links;
  gold_links += other.gold_links;
  return *this;
}

Counts count_alignment(const torch::Tensor& weights,
                       const std::vector<std::vector<std::vector<int>>>& gold) {
  const auto links = weights.argmax(2).to(torch::kCPU).contiguous();  // [B, T]
  const auto* link = links.data_ptr<std::int64_t>();
  const auto steps = links.size(1);
  Counts counts;
  for (size_t b = 0; b < gold.size(); ++b) {
    TORCH_CHECK(static_cast<std::int64_t>(gold[b].size()) <= steps,
                "count_alignment: ", gold[b].size(), " gold links but ", steps,
                " steps of weights");
    for (size_t t = 0; t < gold[b].size(); ++t) {
      const auto& positions = gold[b][t];
      const auto chosen = link[static_cast<std::int64_t>(b) * steps + static_cast<std::int64_t>(t)];
      ++counts.aligned_steps;
      if (!positions.empty() && positions.front() == chosen) ++counts.sure_links;
      if (std::find(positions.begin(), positions.end(), chosen) != positions.end())
        ++counts.gold_links;
    }
  }
  return counts;
}

store::Scores Counts::scores() const {
  store::Scores s;
  s.n = static_cast<int>(examples);
  const auto ratio = [](std::int64_t a, std::int64_t b) {
    return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  s.token_accuracy = ratio(correct_tokens, tokens);
  s.sequence_accuracy = ratio(exact, examples);
  s.error_rate = ratio(edit_sums.edits, edit_sums.reference);
  // exp(mean of logs) of 100 % precisions can round to a hair above 100.
  s.bleu = bleu_defined(bleu) ? std::clamp(corpus_bleu(bleu), 0.0, 100.0)
                              : std::numeric_limits<double>::quiet_NaN();
  s.perplexity = tokens > 0 ? std::exp(cross_entropy / static_cast<double>(tokens)) : 0;
  if (aligned_steps > 0) {
    const auto steps = static_cast<double>(aligned_steps);
    s.aer = 1 - static_cast<double>(sure_links + gold_links) / (2 * steps);
    s.alignment_accuracy = static_cast<double>(gold_links) / steps;
  }
  return s;
}

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
  const auto exact = right.sum(1).eq(mask.sum(1)).contiguous();
  counts.exact = exact.sum().item<std::int64_t>();
  const auto* row = exact.data_ptr<bool>();
  for (std::int64_t i = 0; i < exact.size(0); ++i)
    counts.outcomes += row[i] ? '1' : '0';
  return counts;
}

Counts count(const torch::Tensor& predictions, const data::Batch& batch,
             const std::vector<data::Example>& examples) {
  Counts counts = count_correct(predictions, batch);
  const auto predicted = predictions.to(torch::kCPU).contiguous();
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto row = predicted[static_cast<std::int64_t>(i)];
    const auto hypothesis = until_eos(row);
    const auto& target = examples[i].target;
    const std::vector<std::int64_t>* reference = &target;
    std::int64_t edits = edit_distance(hypothesis, target);
    for (const auto& alternative : examples[i].alternatives) {
      const std::int64_t distance = edit_distance(hypothesis, alternative);
      if (distance >= edits) continue;
      reference = &alternative;
      edits = distance;
    }
    if (reference != &target) rescore_against(row, target, *reference, i, &counts);
    counts.edit_sums.add(edits, static_cast<std::int64_t>(reference->size()));
    counts.bleu += bleu_stats(hypothesis, *reference);
  }
  return counts;
}

int decode_length_limit(const data::Task& task, int length) {
  return 2 * task.max_target_tokens(length) + 2;
}

std::vector<data::Example> dev_sample(const data::Task& task, const config::RunSettings& settings) {
  const auto [lo, hi] = settings.task.train_lengths;
  const int wanted = settings.train.dev_examples;
  std::vector<data::Example> out;
  const auto corpus = task.dev_split();
  if (!corpus.empty()) {
    for (const auto& e : corpus)
      if (e.length >= lo && e.length <= hi) out.push_back(e);
    data::Rng rng(data::derive_seed(settings.seed, "dev", 0));
    return data::random_subset(std::move(out), static_cast<size_t>(wanted), rng);
  }
  const int per_length = std::max(1, wanted / (hi - lo + 1));
  for (int length = lo; length <= hi; ++length) {
    auto examples = data::development_examples(task, settings, length, per_length);
    out.insert(out.end(), examples.begin(), examples.end());
  }
  return out;
}

store::Scores greedy_scores(models::Seq2SeqModelImpl& model,
                            const std::vector<data::Example>& examples, const data::Task& task,
                            const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  models::DecodeOptions options;
  int longest = 1;
  for (const auto& e : examples)
    longest = std::max(longest, e.length);
  options.max_length = decode_length_limit(task, longest);
  const auto scores =
      decode_all(model, examples, task, options, device, 0, /*align=*/false).counts.scores();
  model.train();
  return scores;
}

Evaluation evaluate(models::Seq2SeqModelImpl& model, const data::Task& task,
                    const config::RunSettings& settings, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model.eval();
  models::DecodeOptions options;
  options.beam_size = settings.decode.beam_size;
  options.length_penalty = settings.decode.length_penalty;
  const auto [lo, hi] = settings.task.test_lengths;
  const auto [train_lo, train_hi] = settings.task.train_lengths;
  // Decoded examples from the middle and the end of the training lengths and
  // from the longest length evaluated: enough to draw alignments within and
  // beyond training.
  const std::set<int> shown = {std::clamp((train_lo + train_hi) / 2, lo, hi),
                               std::clamp(train_hi, lo, hi), hi};
  Evaluation result;
  Counts all;
  for (int length = lo; length <= hi; ++length) {
    const auto examples = data::evaluation_examples(task, settings, length);
    if (examples.empty()) continue;
    options.max_length = decode_length_limit(task, length);
    const int keep = shown.count(length) != 0 ? kExamplesPerLength : 0;
    Decoding d = decode_all(model, examples, task, options, device, keep, /*align=*/true);
    store::LengthEval e;
    static_cast<store::Scores&>(e) = d.counts.scores();
    e.length = length;
    e.outcomes = d.counts.outcomes;
    e.edit_sums = d.counts.edit_sums;
    result.lengths.push_back(e);
    all += d.counts;
    for (auto& x : d.examples)
      result.examples.push_back(std::move(x));
  }
  store::SplitScores test;
  static_cast<store::Scores&>(test) = all.scores();
  test.split = "test";
  result.splits.push_back(test);
  const auto dev = task.dev_split();
  if (!dev.empty()) {
    int longest = 1;
    for (const auto& e : dev)
      longest = std::max(longest, e.length);
    options.max_length = decode_length_limit(task, longest);
    store::SplitScores scores;
    static_cast<store::Scores&>(scores) =
        decode_all(model, dev, task, options, device, 0, /*align=*/true).counts.scores();
    scores.split = "dev";
    result.splits.push_back(scores);
  }
  model.train();
  return result;
}

}  // namespace attnlab::train
