#include "data/reverse_task.h"

namespace attnlab::data {

std::vector<std::int64_t> ReverseTask::transform(const std::vector<std::int64_t>& source) const {
  return {source.rbegin(), source.rend()};
}

}  // namespace attnlab::data
