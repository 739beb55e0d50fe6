// The addition task: "a+b" -> a + b in decimal digits, where a and b both
// have `length` digits (no leading zeros). Sources have 2 length + 1 tokens,
// targets length or length + 1 digits, most significant first, so the first
// output digit depends on every carry: the hardest alignment of the
// synthetic tasks.
#pragma once

#include "data/task.h"

namespace attnlab::data {

class AdditionTask : public GeneratedTask {
 public:
  explicit AdditionTask(const config::TaskSettings& settings);

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  std::string length_unit() const override { return "digits"; }
  int max_source_tokens(int length) const override { return 2 * length + 1; }
  int max_target_tokens(int length) const override { return length + 1; }

 protected:
  Example generate(Rng& rng, int length) const override;

 private:
  Vocabulary vocabulary_{""};
  std::int64_t zero_ = 0;  // id of '0'; '1'..'9' follow
  std::int64_t plus_ = 0;  // id of '+'
};

}  // namespace attnlab::data
