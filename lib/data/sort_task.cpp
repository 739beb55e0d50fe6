#include "data/sort_task.h"

#include <algorithm>

namespace attnlab::data {

std::vector<std::int64_t> SortTask::transform(const std::vector<std::int64_t>& source) const {
  std::vector<std::int64_t> target = source;
  std::sort(target.begin(), target.end());
  return target;
}

}  // namespace attnlab::data
