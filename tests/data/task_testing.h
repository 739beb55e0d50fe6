// Helpers shared by the task tests.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/task.h"

namespace attnlab::data::testing {

// The message of the std::invalid_argument `f` throws, or "(no error)".
inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

// `ids` as the task's vocabulary writes them.
inline std::string text(const Task& task, const std::vector<std::int64_t>& ids) {
  return task.vocabulary().render(ids);
}

}  // namespace attnlab::data::testing
