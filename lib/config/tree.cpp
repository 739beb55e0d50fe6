// Dotted-key paths into YAML trees.
#include "config/tree.h"

#include <sstream>

namespace attnlab::config {

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::stringstream in(key);
  std::string part;
  while (std::getline(in, part, '.'))
    parts.push_back(part);
  return parts;
}

long long list_index(const YAML::Node& node, const std::string& part) {
  if (!node.IsSequence() || part.empty() ||
      part.find_first_not_of("0123456789") != std::string::npos || part.size() > 9) {
    return -1;
  }
  const long long index = std::stoll(part);
  return index < static_cast<long long>(node.size()) ? index : -1;
}

YAML::Node find_node(const YAML::Node& root, const std::vector<std::string>& parts) {
  YAML::Node current;
  current.reset(root);
  for (const auto& part : parts) {
    YAML::Node next;
    if (current.IsSequence()) {
      const long long index = list_index(current, part);
      if (index < 0) return YAML::Node(YAML::NodeType::Undefined);
      next.reset(current[static_cast<size_t>(index)]);
    } else if (current.IsMap()) {
      next.reset(current[part]);
      if (!next.IsDefined()) return next;
    } else {
      return YAML::Node(YAML::NodeType::Undefined);
    }
    current.reset(next);
  }
  return current;
}

}  // namespace attnlab::config
