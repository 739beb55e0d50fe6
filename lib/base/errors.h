// An invalid value of one settings key, typed, so that a caller can say
// where the key was set (file and line) without parsing the message; a
// value outside a closed set also carries the value and what is valid.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/text.h"

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

// A value that is not one of the names a key takes: "KEY: 'VALUE' is not
// available (did you mean 'X'?); valid: A, B".
class ChoiceError : public KeyError {
 public:
  ChoiceError(std::string key, std::string value, std::vector<std::string> valid)
      : KeyError(std::move(key), "'" + value + "' is not available" + did_you_mean(value, valid) +
                                     "; valid: " + join(valid)),
        value_(std::move(value)),
        valid_(std::move(valid)) {}

  const std::string& value() const { return value_; }
  const std::vector<std::string>& valid() const { return valid_; }

 private:
  std::string value_;
  std::vector<std::string> valid_;
};

}  // namespace attnlab::base
