// `attnlab config --explain KEY`: what a key means, what it accepts, its
// default and its value in a composed config (and where that was set).
#pragma once

#include <map>
#include <string>

#include "config/compose.h"

namespace attnlab::config {

// The meaning of every key a config may hold, by its full path.
const std::map<std::string, std::string>& key_meanings();

// The explanation of `key` in `composed`. Throws ConfigError for a key this
// config does not read: one of another task, model or scorer (saying which
// choice reads it), or an unknown one (with the keys it reads).
std::string explain_key(const Composed& composed, const std::string& key);

// `yaml` (a config as to_yaml() prints it) with each key's meaning as a
// comment at the end of its line, the comments aligned.
std::string with_meanings(const std::string& yaml);

}  // namespace attnlab::config
