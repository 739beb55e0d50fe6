#include "data/reverse_task.h"

namespace attnlab::data {

std::vector<std::int64_t> ReverseTask::transform(const std::vector<std::int64_t>& source) const {
  return {source.rbegin(), source.rend()};
}

std::vector<std::vector<int>> ReverseTask::gold_alignment(const Example& example) const {
  const int n = static_cast<int>(example.source.size());
  std::vector<std::vector<int>> links;
  for (int i = 0; i < n; ++i)
    links.push_back({n - 1 - i});
  return links;
}

}  // namespace attnlab::data
