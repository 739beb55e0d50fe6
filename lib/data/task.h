// A sequence-to-sequence task. Every task measures its examples with its own
// length (symbols, digits, letters, characters: length_unit()), which is what
// task.train_lengths and task.test_lengths bound and what reports bucket by.
//
// Two families share the interface. A GeneratedTask draws examples of a given
// length on the fly; a CorpusTask holds a fixed list of examples (a file, or
// a generated collection). Both split by a hash into train, dev and test, the
// same for every seed: dev chooses (learning curve, model selection, early
// stopping), test is read once at the end, and neither is ever trained on.
// Training, dev and test draw from separate streams derived from the run's
// seed, so none depends on the others, on the thread count, or on how many
// batches came before.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/settings.h"
#include "data/random.h"
#include "data/vocabulary.h"

namespace attnlab::data {

enum class Split { kTrain, kDev, kTest };

struct Example {
  Example() = default;
  Example(std::vector<std::int64_t> source_ids, std::vector<std::int64_t> target_ids,
          int task_length = 0, std::vector<std::vector<std::int64_t>> other_targets = {})
      : source(std::move(source_ids)),
        target(std::move(target_ids)),
        length(task_length),
        alternatives(std::move(other_targets)) {}

  std::vector<std::int64_t> source;  // symbol ids, no specials
  std::vector<std::int64_t> target;  // symbol ids, without <bos>/<eos>
  int length = 0;                    // the task's length of this example
  // Other targets that are equally right (a dictionary listing a word with
  // two pronunciations); training uses `target`, scoring the closest of all.
  std::vector<std::vector<std::int64_t>> alternatives;

  bool operator==(const Example& other) const {
    return source == other.source && target == other.target && length == other.length &&
           alternatives == other.alternatives;
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
  // Up to `max_examples` distinct examples of `length` from the held-out
  // `split` (kDev or kTest), fixed by `seed`; fewer (even none) where the
  // task has no more of that length.
  virtual std::vector<Example> held_out(Split split, int length, int max_examples,
                                        std::uint64_t seed) const = 0;
  std::vector<Example> test_examples(int length, int max_examples, std::uint64_t seed) const {
    return held_out(Split::kTest, length, max_examples, seed);
  }
  std::vector<Example> dev_examples(int length, int max_examples, std::uint64_t seed) const {
    return held_out(Split::kDev, length, max_examples, seed);
  }
  // The whole development split of a corpus; empty for generated tasks,
  // whose dev examples are drawn per length.
  virtual std::vector<Example> dev_split() const { return {}; }
  // What, besides the settings, decides this task's examples: a digest of
  // every data file it read and the versions of the libraries that generate
  // its text ("sha256:..., ICU 72.1, CLDR 42.0"); "" when the settings and
  // the seed alone decide them. Part of a run's identity.
  virtual std::string data_identity() const { return ""; }

  // Where each target token of `example` comes from, where the task knows it
  // by construction (Och and Ney's gold links): for each target position
  // (no <eos>), the source positions it copies. The first is the sure link;
  // any others are equally right (a sort may take a repeated symbol from
  // either place). Empty: the task has no gold alignment.
  virtual std::vector<std::vector<int>> gold_alignment(const Example& /*example*/) const {
    return {};
  }

  // Upper bounds on the source and target tokens of an example whose length
  // is at most `length` (position tables, decoding limits).
  virtual int max_source_tokens(int length) const = 0;
  virtual int max_target_tokens(int length) const = 0;
};

// Draws examples of a requested length. The hash of an example's source
// puts it in test (a fixed tenth of all sources), dev (another tenth) or
// train (split_of_source()); training draws only from train.
class GeneratedTask : public Task {
 public:
  std::vector<Example> training_batch(Rng& rng, std::array<int, 2> lengths,
                                      int batch_size) const override;
  std::vector<Example> held_out(Split split, int length, int max_examples,
                                std::uint64_t seed) const override;

 protected:
  // One random example of `length`.
  virtual Example generate(Rng& rng, int length) const = 0;
};

Split split_of_source(const std::vector<std::int64_t>& source);
// In dev or test: never trained on.
bool is_held_out(const std::vector<std::int64_t>& source);

// A fixed list of examples. The split is by a hash of each example's key
// (e.g. the word, for a dictionary), so it is the same for every seed and
// every order of the file: 80 % train, 10 % dev, 10 % test.
class CorpusTask : public Task {
 public:
  using Split = data::Split;
  static Split split_of(const std::string& key);

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  std::vector<Example> training_batch(Rng& rng, std::array<int, 2> lengths,
                                      int batch_size) const override;
  std::vector<Example> held_out(Split split, int length, int max_examples,
                                std::uint64_t seed) const override;
  std::vector<Example> dev_split() const override { return examples(Split::kDev); }
  int max_source_tokens(int length) const override;
  int max_target_tokens(int length) const override;

  size_t size(Split split) const;

 protected:
  explicit CorpusTask(Vocabulary vocabulary) : vocabulary_(std::move(vocabulary)) {}
  Vocabulary& mutable_vocabulary() { return vocabulary_; }
  // Adds one example, split by `key`. An example whose key was added before
  // lends its target to the first one's alternatives (a corpus may list a
  // word with two pronunciations: the first is trained on, either is right).
  void add(const std::string& key, Example example);
  // Fails (std::invalid_argument naming `what`) when no training example
  // has a length in `lengths`.
  void require_training_examples(std::array<int, 2> lengths, const std::string& what) const;

 private:
  std::vector<Example>& examples(Split split) { return splits_[static_cast<size_t>(split)]; }
  const std::vector<Example>& examples(Split split) const {
    return splits_[static_cast<size_t>(split)];
  }

  Vocabulary vocabulary_;
  std::array<std::vector<Example>, 3> splits_;        // by Split
  std::vector<std::vector<size_t>> train_by_length_;  // indices into the training split, by length
  // The most source and target tokens of any example, by length.
  std::vector<int> most_source_tokens_, most_target_tokens_;
  // Where each key's example is: its split and index there.
  std::unordered_map<std::string, std::pair<Split, size_t>> keys_;
};

// The task named in settings. Throws std::invalid_argument for an unknown
// name, a missing or malformed data file, or lengths with no examples.
std::unique_ptr<Task> make_task(const config::TaskSettings& settings);
std::vector<std::string> task_names();

// The examples of training step `step`.
std::vector<Example> training_examples(const Task& task, const config::RunSettings& settings,
                                       std::int64_t step);

// The fixed evaluation (test) set for one length: task.eval_examples of them.
std::vector<Example> evaluation_examples(const Task& task, const config::RunSettings& settings,
                                         int length);

// Up to `max_examples` dev examples of one length, fixed for the seed.
std::vector<Example> development_examples(const Task& task, const config::RunSettings& settings,
                                          int length, int max_examples);

// `n` of `examples` chosen at random, kept in their order (all of them when
// there are no more than n).
std::vector<Example> random_subset(std::vector<Example> examples, size_t n, Rng& rng);

// "sha256:HEX" of a data file's bytes, as data_identity() gives it.
std::string digest_of(const std::string& bytes);

// The ICU library and the CLDR locale data it carries: "ICU 72.1, CLDR 42.0".
std::string icu_identity();

}  // namespace attnlab::data
