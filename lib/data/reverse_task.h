// The reverse task: the target is the source reversed. The decoder must
// produce first what the encoder read last, so without attention everything
// has to pass through the final encoder state: the seed's bottleneck.
#pragma once

#include "data/task.h"

namespace attnlab::data {

class ReverseTask : public Task {
 public:
  explicit ReverseTask(int symbols) : vocabulary_(symbols), symbols_(symbols) {}

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  Example sample(Rng& rng, int length) const override;
  int max_target_length(int source_length) const override { return source_length; }

 private:
  Vocabulary vocabulary_;
  int symbols_;
};

}  // namespace attnlab::data
