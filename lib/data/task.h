// A sequence-to-sequence task: it turns a random source of a given length
// into an example. Training and evaluation examples come from separate
// streams derived from the run's seed, so neither depends on the other, on
// the thread count, or on how many batches were drawn before.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/random.h"
#include "data/vocabulary.h"

namespace attnlab::data {

struct Example {
  std::vector<std::int64_t> source;  // symbol ids, no specials
  std::vector<std::int64_t> target;  // symbol ids, without <bos>/<eos>
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const Vocabulary& vocabulary() const = 0;
  // One example whose source has `length` symbols.
  virtual Example sample(Rng& rng, int length) const = 0;
  // The longest target a source of `length` symbols can have (for decoding).
  virtual int max_target_length(int source_length) const = 0;
};

// The task named in settings. Throws std::invalid_argument listing valid names.
std::unique_ptr<Task> make_task(const config::TaskSettings& settings);
std::vector<std::string> task_names();

// The examples of training step `step`: one source length per batch, drawn
// uniformly from train_lengths (length-bucketed batches need no padding).
std::vector<Example> training_examples(const Task& task, const config::RunSettings& settings,
                                       std::int64_t step);

// The fixed evaluation set for one source length.
std::vector<Example> evaluation_examples(const Task& task, const config::RunSettings& settings,
                                         int length);

}  // namespace attnlab::data
