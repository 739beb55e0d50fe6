// The sort task: the target is the source's symbols in vocabulary order.
// Each output depends on the whole input (how many of each symbol), so
// neither a fixed alignment nor the last encoder state alone suffices.
#pragma once

#include "data/symbol_task.h"

namespace attnlab::data {

class SortTask : public SymbolTask {
 public:
  explicit SortTask(const config::TaskSettings& settings) : SymbolTask(settings.vocab_size) {}
  std::vector<std::vector<int>> gold_alignment(const Example& example) const override;

 protected:
  std::vector<std::int64_t> transform(const std::vector<std::int64_t>& source) const override;
};

}  // namespace attnlab::data
