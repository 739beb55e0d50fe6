// The copy task: the target is the source. The easiest ordering: the i-th
// output is the i-th input, so attention can move one step per token.
#pragma once

#include "data/symbol_task.h"

namespace attnlab::data {

class CopyTask : public SymbolTask {
 public:
  explicit CopyTask(const config::TaskSettings& settings) : SymbolTask(settings.vocab_size) {}
  std::vector<std::vector<int>> gold_alignment(const Example& example) const override;

 protected:
  std::vector<std::int64_t> transform(const std::vector<std::int64_t>& source) const override;
};

}  // namespace attnlab::data
