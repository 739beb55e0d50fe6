// Paths into a composed YAML tree: dotted keys whose parts are map keys or,
// inside lists, item indices ("task.train_lengths.1").
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace attnlab::config {

// "a.b.0" -> {"a", "b", "0"}.
std::vector<std::string> split_key(const std::string& key);

// The list index `part` names in `node`, or -1 when node is no list, part is
// no index, or the index is out of range.
long long list_index(const YAML::Node& node, const std::string& part);

// The node at `parts`, or an undefined node when there is none.
YAML::Node find_node(const YAML::Node& root, const std::vector<std::string>& parts);

}  // namespace attnlab::config
