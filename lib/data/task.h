// A sequence-to-sequence task. Every task measures its examples with its own
// length (symbols, digits, letters, characters: length_unit()), which is what
// task.train_lengths and task.test_lengths bound and what reports bucket by.
//
// Two families share the interface. A GeneratedTask draws examples of a given
// length on the fly; a CorpusTask holds a fixed list of examples (a file, or
// a generated collection) split into train/dev/test by a hash. Either way the
// examples evaluated are never trained on, and training and evaluation draw
// from separate streams derived from the run's seed, so neither depends on
// the other, on the thread count, or on how many batches came before.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/settings.h"
#include "data/random.h"
#include "data/vocabulary.h"

namespace attnlab::data {

struct Example {
  std::vector<std::int64_t> source;  // symbol ids, no specials
  std::vector<std::int64_t> target;  // symbol ids, without <bos>/<eos>
  int length = 0;                    // the task's length of this example

  bool operator==(const Example& other) const {
    return source == other.source && target == other.target && length == other.length;
  }
};

class Task {
 public:
  virtual ~Task() = default;
  virtual const Vocabulary& vocabulary() const = 0;
  // What a task length counts, for reports: "symbols", "digits", "letters", ...
  virtual std::string length_unit() const = 0;

  // `batch_size` training examples with lengths in `lengths`.
  virtual std::vector<Example> training_batch(Rng& rng, std::array<int, 2> lengths,
                                              int batch_size) const = 0;
  // Up to `max_examples` distinct held-out examples of `length`, fixed by
  // `seed`; fewer (even none) where the task has no more of that length.
  virtual std::vector<Example> test_examples(int length, int max_examples,
                                             std::uint64_t seed) const = 0;
  // The development split (corpus tasks); empty for generated tasks.
  virtual std::vector<Example> dev_examples() const { return {}; }

  // Upper bounds on the source and target tokens of an example whose length
  // is at most `length` (position tables, decoding limits).
  virtual int max_source_tokens(int length) const = 0;
  virtual int max_target_tokens(int length) const = 0;
};

// Draws examples of a requested length. An example is held out for
// evaluation when the hash of its source falls in a fixed tenth
// (is_held_out()); training never sees those, evaluation sees only those.
class GeneratedTask : public Task {
 public:
  std::vector<Example> training_batch(Rng& rng, std::array<int, 2> lengths,
                                      int batch_size) const override;
  std::vector<Example> test_examples(int length, int max_examples,
                                     std::uint64_t seed) const override;

 protected:
  // One random example of `length`.
  virtual Example generate(Rng& rng, int length) const = 0;
};

bool is_held_out(const std::vector<std::int64_t>& source);

// A fixed list of examples. The split is by a hash of each example's key
// (e.g. the word, for a dictionary), so it is the same for every seed and
// every order of the file: 80 % train, 10 % dev, 10 % test.
class CorpusTask : public Task {
 public:
  enum class Split { kTrain, kDev, kTest };
  static Split split_of(const std::string& key);

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  std::vector<Example> training_batch(Rng& rng, std::array<int, 2> lengths,
                                      int batch_size) const override;
  std::vector<Example> test_examples(int length, int max_examples,
                                     std::uint64_t seed) const override;
  std::vector<Example> dev_examples() const override { return dev_; }
  int max_source_tokens(int length) const override;
  int max_target_tokens(int length) const override;

  size_t size(Split split) const;

 protected:
  explicit CorpusTask(Vocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {}
  Vocabulary& mutable_vocabulary() { return vocabulary_; }
  // Adds one example, split by `key`. Examples whose key was added before are
  // dropped (a corpus may list a word twice; one pronunciation is kept).
  void add(const std::string& key, Example example);
  // Fails (std::invalid_argument naming `what`) when no training example
  // has a length in `lengths`.
  void require_training_examples(std::array<int, 2> lengths, const std::string& what) const;

 private:
  Vocabulary vocabulary_;
  std::vector<Example> train_, dev_, test_;
  std::vector<std::vector<size_t>> train_by_length_;  // indices into train_, by length
  // The most source and target tokens of any example, by length.
  std::vector<int> most_source_tokens_, most_target_tokens_;
  std::unordered_set<std::string> keys_;
};

// The task named in settings. Throws std::invalid_argument for an unknown
// name, a missing or malformed data file, or lengths with no examples.
std::unique_ptr<Task> make_task(const config::TaskSettings& settings);
std::vector<std::string> task_names();

// The examples of training step `step`.
std::vector<Example> training_examples(const Task& task, const config::RunSettings& settings,
                                       std::int64_t step);

// The fixed evaluation set for one length.
std::vector<Example> evaluation_examples(const Task& task, const config::RunSettings& settings,
                                         int length);

// 64-bit FNV-1a: the fixed hash behind splits (never std::hash, which may
// differ between standard libraries).
std::uint64_t fnv1a(const std::string& bytes);

}  // namespace attnlab::data
