// Any parallel text as a tab-separated file, one pair per line:
//
//   source text<TAB>target text
//
// tokenised into characters (task.tokenize=char) or whitespace-separated
// words (whitespace). The vocabulary comes from the training split; symbols
// seen fewer than task.min_frequency times there become <unk>. The length is
// the number of source tokens; the split is by a hash of the source line, and
// a source listed twice keeps its first target.
#pragma once

#include "data/task.h"

namespace attnlab::data {

class TsvTask : public CorpusTask {
 public:
  // Throws std::invalid_argument naming the file and line of the first
  // malformed line, or the file when it cannot be read or holds no pairs.
  explicit TsvTask(const config::TaskSettings& settings);

  std::string length_unit() const override { return unit_; }
  std::string data_identity() const override { return digest_; }

 private:
  std::string unit_;
  std::string digest_;  // of the file's bytes
};

inline constexpr const char* kUnknown = "<unk>";

}  // namespace attnlab::data
