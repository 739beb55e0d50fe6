// Errors raised while composing or validating a configuration. Every message
// names where the problem is (a file position or an override) and what would
// be valid; the CLI turns a ConfigError into exit code 2.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace attnlab::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns " (did you mean 'x'?)" for the closest candidate within a small edit
// distance of `name`, or "" when nothing is close.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

// Joins candidates as "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace attnlab::config
