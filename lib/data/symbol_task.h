// The base of copy, reverse and sort: sources are uniform random strings of
// `vocab_size` symbols, and the length is the number of symbols.
#pragma once

#include "data/task.h"

namespace attnlab::data {

class SymbolTask : public GeneratedTask {
 public:
  explicit SymbolTask(int symbols) : vocabulary_(symbols), symbols_(symbols) {}

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  std::string length_unit() const override { return "symbols"; }
  int max_source_tokens(int length) const override { return length; }
  int max_target_tokens(int length) const override { return length; }

 protected:
  // The target of `source`.
  virtual std::vector<std::int64_t> transform(const std::vector<std::int64_t>& source) const = 0;

  Example generate(Rng& rng, int length) const override {
    Example e;
    e.length = length;
    e.source.reserve(static_cast<size_t>(length));
    for (int i = 0; i < length; ++i) {
      e.source.push_back(kFirstSymbol + static_cast<std::int64_t>(rng.below(symbols_)));
    }
    e.target = transform(e.source);
    return e;
  }

 private:
  Vocabulary vocabulary_;
  std::uint64_t symbols_;
};

}  // namespace attnlab::data
