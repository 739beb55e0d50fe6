// The reverse task: the target is the source reversed. The decoder must
// produce first what the encoder read last, so without attention everything
// has to pass through the final encoder state: the seed's bottleneck.
#pragma once

#include "data/symbol_task.h"

namespace attnlab::data {

class ReverseTask : public SymbolTask {
 public:
  explicit ReverseTask(const config::TaskSettings& settings) : SymbolTask(settings.vocab_size) {}
  std::vector<std::vector<int>> gold_alignment(const Example& example) const override;

 protected:
  std::vector<std::int64_t> transform(const std::vector<std::int64_t>& source) const override;
};

}  // namespace attnlab::data
