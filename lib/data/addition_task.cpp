#include "data/addition_task.h"

#include <algorithm>

namespace attnlab::data {

AdditionTask::AdditionTask(const config::TaskSettings&) {
  zero_ = vocabulary_.add("0");
  for (char c = '1'; c <= '9'; ++c)
    vocabulary_.add(std::string(1, c));
  plus_ = vocabulary_.add("+");
}

Example AdditionTask::generate(Rng& rng, int length) const {
  // Digits are drawn one by one, so any length works (no integer overflow).
  const auto draw = [&] {
    std::vector<int> digits(static_cast<size_t>(length));
    for (int i = 0; i < length; ++i) {
      digits[static_cast<size_t>(i)] =
          static_cast<int>(i == 0 && length > 1 ? 1 + rng.below(9) : rng.below(10));
    }
    return digits;
  };
  const std::vector<int> a = draw(), b = draw();
  Example e;
  e.length = length;
  for (const int d : a)
    e.source.push_back(zero_ + d);
  e.source.push_back(plus_);
  for (const int d : b)
    e.source.push_back(zero_ + d);
  int carry = 0;
  for (int i = length - 1; i >= 0; --i) {
    const int sum = a[static_cast<size_t>(i)] + b[static_cast<size_t>(i)] + carry;
    e.target.push_back(zero_ + sum % 10);
    carry = sum / 10;
  }
  if (carry > 0) e.target.push_back(zero_ + carry);
  std::reverse(e.target.begin(), e.target.end());
  return e;
}

}  // namespace attnlab::data
