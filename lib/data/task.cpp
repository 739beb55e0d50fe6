// The shared machinery of tasks: held-out splits, batches, the task table.
#include "data/task.h"

#include <unicode/ulocdata.h>
#include <unicode/uversion.h>

#include <algorithm>
#include <functional>
#include <set>
#include <stdexcept>
#include <utility>

#include "base/errors.h"
#include "base/hash.h"
#include "base/registry.h"
#include "config/sha256.h"
#include "data/addition_task.h"
#include "data/copy_task.h"
#include "data/dates_task.h"
#include "data/g2p_cmudict_task.h"
#include "data/numbers_task.h"
#include "data/reverse_task.h"
#include "data/sort_task.h"
#include "data/tsv_task.h"

namespace attnlab::data {

std::vector<Example> random_subset(std::vector<Example> examples, size_t n, Rng& rng) {
  if (examples.size() <= n) return examples;
  // Partial Fisher-Yates over the indices, then back into the given order.
  std::vector<size_t> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  for (size_t i = 0; i < n; ++i)
    std::swap(order[i], order[i + rng.below(order.size() - i)]);
  order.resize(n);
  std::sort(order.begin(), order.end());
  std::vector<Example> subset;
  subset.reserve(n);
  for (const auto i : order)
    subset.push_back(std::move(examples[i]));
  return subset;
}

Split split_of_source(const std::vector<std::int64_t>& source) {
  std::string bytes;
  bytes.reserve(source.size() * 2);
  for (const auto id : source) {
    bytes.push_back(static_cast<char>(id & 0xff));
    bytes.push_back(static_cast<char>((id >> 8) & 0xff));
  }
  const std::uint64_t bucket = base::fnv1a(bytes) % 10;
  return bucket == 0 ? Split::kTest : bucket == 1 ? Split::kDev : Split::kTrain;
}

std::string digest_of(const std::string& bytes) {
  return "sha256:" + config::sha256_hex(bytes);
}

std::string icu_identity() {
  const auto dotted = [](const UVersionInfo v) {
    std::string out = std::to_string(v[0]) + "." + std::to_string(v[1]);
    if (v[2] != 0 || v[3] != 0) out += "." + std::to_string(v[2]);
    if (v[3] != 0) out += "." + std::to_string(v[3]);
    return out;
  };
  UVersionInfo icu{}, cldr{};
  u_getVersion(icu);
  UErrorCode status = U_ZERO_ERROR;
  ulocdata_getCLDRVersion(cldr, &status);
  return "ICU " + dotted(icu) + ", CLDR " + (U_SUCCESS(status) ? dotted(cldr) : "unknown");
}

bool is_held_out(const std::vector<std::int64_t>& source) {
  return split_of_source(source) != Split::kTrain;
}

std::vector<Example> GeneratedTask::training_batch(Rng& rng, std::array<int, 2> lengths,
                                                   int batch_size) const {
  // One length per batch: no padding, and every length gets whole batches.
  const int length = rng.between(lengths[0], lengths[1]);
  std::vector<Example> batch;
  batch.reserve(static_cast<size_t>(batch_size));
  // A length whose every example is held out (possible only when it has very
  // few) yields none after this many draws.
  int misses = 0;
  while (static_cast<int>(batch.size()) < batch_size && misses < 1000) {
    Example e = generate(rng, length);
    if (is_held_out(e.source)) {
      ++misses;
      continue;
    }
    batch.push_back(std::move(e));
  }
  if (batch.empty())
    throw std::invalid_argument("no training examples of length " + std::to_string(length) +
                                " outside the held-out tenth");
  return batch;
}

std::vector<Example> GeneratedTask::held_out(Split split, int length, int max_examples,
                                             std::uint64_t seed) const {
  // Distinct examples of the split: it holds a tenth of all sources, so a
  // draw succeeds one time in ten; where a length has few examples the
  // bounded number of draws ends the set early.
  Rng rng(seed);
  std::vector<Example> out;
  std::set<std::vector<std::int64_t>> seen;
  const std::int64_t draws = 40LL * max_examples + 1000;
  for (std::int64_t i = 0; i < draws && static_cast<int>(out.size()) < max_examples; ++i) {
    Example e = generate(rng, length);
    if (split_of_source(e.source) != split || !seen.insert(e.source).second) continue;
    out.push_back(std::move(e));
  }
  return out;
}

CorpusTask::Split CorpusTask::split_of(const std::string& key) {
  const std::uint64_t bucket = base::fnv1a(key) % 10;
  return bucket == 0 ? Split::kTest : bucket == 1 ? Split::kDev : Split::kTrain;
}

void CorpusTask::add(const std::string& key, Example example) {
  const auto l = static_cast<size_t>(example.length);
  if (most_source_tokens_.size() <= l) {
    most_source_tokens_.resize(l + 1, 0);
    most_target_tokens_.resize(l + 1, 0);
  }
  most_target_tokens_[l] =
      std::max(most_target_tokens_[l], static_cast<int>(example.target.size()));
  if (const auto seen = keys_.find(key); seen != keys_.end()) {
    const auto [split, index] = seen->second;
    Example& first = examples(split)[index];
    const auto& alternatives = first.alternatives;
    if (example.target != first.target &&
        std::find(alternatives.begin(), alternatives.end(), example.target) == alternatives.end()) {
      first.alternatives.push_back(std::move(example.target));
    }
    return;
  }
  most_source_tokens_[l] =
      std::max(most_source_tokens_[l], static_cast<int>(example.source.size()));
  const Split split = split_of(key);
  auto& in_split = examples(split);
  keys_.emplace(key, std::make_pair(split, in_split.size()));
  if (split == Split::kTrain) {
    if (train_by_length_.size() <= l) train_by_length_.resize(l + 1);
    train_by_length_[l].push_back(in_split.size());
  }
  in_split.push_back(std::move(example));
}

size_t CorpusTask::size(Split split) const {
  return examples(split).size();
}

void CorpusTask::require_training_examples(std::array<int, 2> lengths,
                                           const std::string& what) const {
  for (const auto& e : examples(Split::kTrain)) {
    if (e.length >= lengths[0] && e.length <= lengths[1]) return;
  }
  throw base::KeyError("task.train_lengths",
                       "no training examples of " + what + " with " + std::to_string(lengths[0]) +
                           " to " + std::to_string(lengths[1]) + " " + length_unit() +
                           " (the training split holds " +
                           std::to_string(examples(Split::kTrain).size()) + ")");
}

std::vector<Example> CorpusTask::training_batch(Rng& rng, std::array<int, 2> lengths,
                                                int batch_size) const {
  // Uniform over the training examples in range: the corpus's own mix of
  // lengths, padded within a batch.
  const int lo = std::max(lengths[0], 0);
  const int hi = std::min(lengths[1], static_cast<int>(train_by_length_.size()) - 1);
  size_t total = 0;
  for (int l = lo; l <= hi; ++l)
    total += train_by_length_[static_cast<size_t>(l)].size();
  if (total == 0) require_training_examples(lengths, "this task");
  std::vector<Example> batch;
  batch.reserve(static_cast<size_t>(batch_size));
  for (int i = 0; i < batch_size; ++i) {
    size_t pick = rng.below(total);
    int l = lo;
    while (pick >= train_by_length_[static_cast<size_t>(l)].size())
      pick -= train_by_length_[static_cast<size_t>(l++)].size();
    batch.push_back(examples(Split::kTrain)[train_by_length_[static_cast<size_t>(l)][pick]]);
  }
  return batch;
}

std::vector<Example> CorpusTask::held_out(Split split, int length, int max_examples,
                                          std::uint64_t seed) const {
  std::vector<Example> out;
  for (const auto& e : examples(split)) {
    if (e.length == length) out.push_back(e);
  }
  if (static_cast<int>(out.size()) > max_examples) {
    Rng rng(seed);
    out = random_subset(std::move(out), static_cast<size_t>(max_examples), rng);
  }
  return out;
}

namespace {

// The largest of by_length[0..length], at least 1.
int most_up_to(const std::vector<int>& by_length, int length) {
  int most = 1;
  for (size_t l = 0; l < by_length.size() && static_cast<int>(l) <= length; ++l)
    most = std::max(most, by_length[l]);
  return most;
}

}  // namespace

int CorpusTask::max_source_tokens(int length) const {
  return most_up_to(most_source_tokens_, length);
}

int CorpusTask::max_target_tokens(int length) const {
  return most_up_to(most_target_tokens_, length);
}

namespace {

using TaskFactory = std::function<std::unique_ptr<Task>(const config::TaskSettings&)>;

template <typename T>
TaskFactory factory() {
  return [](const config::TaskSettings& s) { return std::make_unique<T>(s); };
}

const base::Registry<TaskFactory>& registry() {
  static const base::Registry<TaskFactory> kRegistry("task",
                                                     {
                                                         {"copy", factory<CopyTask>()},
                                                         {"reverse", factory<ReverseTask>()},
                                                         {"sort", factory<SortTask>()},
                                                         {"addition", factory<AdditionTask>()},
                                                         {"dates", factory<DatesTask>()},
                                                         {"numbers", factory<NumbersTask>()},
                                                         {"g2p_cmudict", factory<G2pCmudictTask>()},
                                                         {"tsv", factory<TsvTask>()},
                                                     });
  return kRegistry;
}

}  // namespace

std::vector<std::string> task_names() {
  return registry().names();
}

std::unique_ptr<Task> make_task(const config::TaskSettings& settings) {
  return registry().at(settings.name)(settings);
}

std::vector<Example> training_examples(const Task& task, const config::RunSettings& settings,
                                       std::int64_t step) {
  Rng rng(derive_seed(settings.seed, "train", static_cast<std::uint64_t>(step)));
  return task.training_batch(rng, settings.task.train_lengths, settings.train.batch_size);
}

std::vector<Example> evaluation_examples(const Task& task, const config::RunSettings& settings,
                                         int length) {
  return task.test_examples(length, settings.task.eval_examples,
                            derive_seed(settings.seed, "eval", static_cast<std::uint64_t>(length)));
}

std::vector<Example> development_examples(const Task& task, const config::RunSettings& settings,
                                          int length, int max_examples) {
  return task.dev_examples(length, max_examples,
                           derive_seed(settings.seed, "dev", static_cast<std::uint64_t>(length)));
}

}  // namespace attnlab::data
