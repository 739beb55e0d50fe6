// Errors raised while composing or validating a configuration. Every message
// names where the problem is (a file position or an override) and what would
// be valid; the CLI turns a ConfigError into exit code 2.
#pragma once

#include <stdexcept>

namespace attnlab::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace attnlab::config
