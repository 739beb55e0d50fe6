#include "data/copy_task.h"

namespace attnlab::data {

std::vector<std::int64_t> CopyTask::transform(const std::vector<std::int64_t>& source) const {
  return source;
}

std::vector<std::vector<int>> CopyTask::gold_alignment(const Example& example) const {
  std::vector<std::vector<int>> links;
  for (size_t i = 0; i < example.target.size(); ++i)
    links.push_back({static_cast<int>(i)});
  return links;
}

}  // namespace attnlab::data
