// Reverse task and the task table.
#include "data/reverse_task.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <utility>

#include "config/errors.h"

namespace attnlab::data {

Example ReverseTask::sample(Rng& rng, int length) const {
  Example e;
  e.source.reserve(static_cast<size_t>(length));
  for (int i = 0; i < length; ++i) {
    e.source.push_back(kFirstSymbol + static_cast<std::int64_t>(rng.below(symbols_)));
  }
  e.target.assign(e.source.rbegin(), e.source.rend());
  return e;
}

namespace {

using TaskFactory = std::function<std::unique_ptr<Task>(const config::TaskSettings&)>;

const std::vector<std::pair<std::string, TaskFactory>>& task_table() {
  static const std::vector<std::pair<std::string, TaskFactory>> kTable = {
      {"reverse",
       [](const config::TaskSettings& s) { return std::make_unique<ReverseTask>(s.vocab_size); }},
  };
  return kTable;
}

std::vector<Example> sample_many(const Task& task, std::uint64_t seed, int length, int n) {
  Rng rng(seed);
  std::vector<Example> examples;
  examples.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    examples.push_back(task.sample(rng, length));
  return examples;
}

}  // namespace

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& entry : task_table())
    names.push_back(entry.first);
  return names;
}

std::unique_ptr<Task> make_task(const config::TaskSettings& settings) {
  for (const auto& [name, factory] : task_table()) {
    if (name == settings.name) return factory(settings);
  }
  throw std::invalid_argument("unknown task '" + settings.name +
                              "'; valid: " + config::join(task_names()));
}

std::vector<Example> training_examples(const Task& task, const config::RunSettings& settings,
                                       std::int64_t step) {
  const std::uint64_t seed = derive_seed(settings.seed, "train", static_cast<std::uint64_t>(step));
  Rng rng(seed);
  const auto [lo, hi] = settings.task.train_lengths;
  const int length = rng.between(lo, hi);
  return sample_many(task, rng.next(), length, settings.train.batch_size);
}

std::vector<Example> evaluation_examples(const Task& task, const config::RunSettings& settings,
                                         int length) {
  return sample_many(task, derive_seed(settings.seed, "eval", static_cast<std::uint64_t>(length)),
                     length, settings.task.eval_examples);
}

}  // namespace attnlab::data
