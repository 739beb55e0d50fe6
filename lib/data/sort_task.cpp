#include "data/sort_task.h"

#include <algorithm>
#include <numeric>

namespace attnlab::data {

std::vector<std::int64_t> SortTask::transform(const std::vector<std::int64_t>& source) const {
  std::vector<std::int64_t> target = source;
  std::sort(target.begin(), target.end());
  return target;
}

// The i-th output is the source symbol of rank i (a stable sort: repeated
// symbols in source order); any other place of the same symbol is as right.
std::vector<std::vector<int>> SortTask::gold_alignment(const Example& example) const {
  const auto& source = example.source;
  std::vector<int> order(source.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return source[static_cast<size_t>(a)] < source[static_cast<size_t>(b)];
  });
  std::vector<std::vector<int>> links;
  for (const int sure : order) {
    std::vector<int> link = {sure};
    for (size_t j = 0; j < source.size(); ++j) {
      const int other = static_cast<int>(j);
      if (other != sure && source[j] == source[static_cast<size_t>(sure)]) link.push_back(other);
    }
    links.push_back(link);
  }
  return links;
}

}  // namespace attnlab::data
