#include "data/copy_task.h"

namespace attnlab::data {

std::vector<std::int64_t> CopyTask::transform(const std::vector<std::int64_t>& source) const {
  return source;
}

}  // namespace attnlab::data
