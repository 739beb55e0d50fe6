// An invalid value of one settings key, typed, so that a caller can say
// where the key was set (file and line) without parsing the message.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace attnlab::base {

class KeyError : public std::invalid_argument {
 public:
  // what() is "KEY: MESSAGE"; the message says what would be valid.
  KeyError(std::string key, const std::string& message)
      : std::invalid_argument(key + ": " + message), key_(std::move(key)) {}

  // The full key path: "task.path", "attention.name".
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

}  // namespace attnlab::base
