// Interpolation: a walk over the composed tree that resolves each string
// once, following references depth first and refusing cycles.
#include "config/interpolate.h"

#include <cstdlib>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "config/errors.h"
#include "config/tree.h"

namespace attnlab::config {
namespace {

class Interpolator {
 public:
  explicit Interpolator(Composed* composed) : composed_(composed) {}

  void resolve_tree(YAML::Node node, const std::string& path) {
    if (node.IsMap()) {
      for (auto item : node) {
        const std::string key = item.first.as<std::string>();
        resolve_child(node, key, path.empty() ? key : path + "." + key);
      }
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        resolve_child(node, i, path + "." + std::to_string(i));
      }
    }
  }

 private:
  template <typename Key>
  void resolve_child(YAML::Node parent, const Key& key, const std::string& path) {
    YAML::Node child = parent[key];
    if (child.IsScalar() && child.Scalar().find("${") != std::string::npos) {
      parent[key] = resolve_text(child.Scalar(), path);
    } else {
      resolve_tree(child, path);
    }
  }

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    const std::string where = composed_->where(path);
    throw ConfigError((where.empty() ? "" : where + ": ") + path + ": " + what);
  }

  YAML::Node resolve_text(const std::string& text, const std::string& path) {
    if (!resolving_.insert(path).second) {
      fail(path, "interpolation cycle: " + text + " refers back to itself");
    }
    std::vector<std::pair<bool, std::string>> pieces;  // (is interpolation, text)
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t open = text.find("${", pos);
      if (open == std::string::npos) {
        pieces.emplace_back(false, text.substr(pos));
        break;
      }
      if (open > pos) pieces.emplace_back(false, text.substr(pos, open - pos));
      const size_t close = text.find('}', open);
      if (close == std::string::npos) fail(path, "unclosed interpolation in '" + text + "'");
      pieces.emplace_back(true, text.substr(open + 2, close - open - 2));
      pos = close + 1;
    }
    YAML::Node result;
    if (pieces.size() == 1 && pieces[0].first) {
      result = YAML::Clone(evaluate(pieces[0].second, path));
    } else {
      std::string joined;
      for (const auto& [is_interpolation, piece] : pieces) {
        if (!is_interpolation) {
          joined += piece;
          continue;
        }
        const YAML::Node value = evaluate(piece, path);
        if (!value.IsScalar() && !value.IsNull()) {
          fail(path, "'${" + piece + "}' is a list or map and cannot be part of a string");
        }
        joined += value.IsNull() ? "null" : value.Scalar();
      }
      result = YAML::Node(joined);
    }
    resolving_.erase(path);
    return result;
  }

  YAML::Node evaluate(const std::string& expression, const std::string& path) {
    for (const std::string prefix : {"env:", "oc.env:"}) {
      if (expression.rfind(prefix, 0) != 0) continue;
      std::string name = expression.substr(prefix.size());
      std::optional<std::string> fallback;
      const size_t comma = name.find(',');
      if (comma != std::string::npos) {
        fallback = name.substr(comma + 1);
        fallback->erase(0, fallback->find_first_not_of(' '));
        name = name.substr(0, comma);
      }
      const char* value = std::getenv(name.c_str());
      if (value != nullptr) return YAML::Node(std::string(value));
      if (fallback) return YAML::Node(*fallback);
      fail(path, "environment variable '" + name + "' is not set (give a default: ${env:" + name +
                     ",DEFAULT})");
    }
    const std::vector<std::string> parts = split_key(expression);
    YAML::Node target = find_node(composed_->root, parts);
    if (!target.IsDefined()) {
      fail(path, "interpolation '${" + expression + "}' refers to '" + expression +
                     "', which is not in the config");
    }
    if (target.IsScalar() && target.Scalar().find("${") != std::string::npos) {
      const YAML::Node resolved = resolve_text(target.Scalar(), expression);
      YAML::Node parent = find_node(composed_->root, {parts.begin(), parts.end() - 1});
      parent[parts.back()] = resolved;
      return resolved;
    }
    return target;
  }

  Composed* composed_;
  std::set<std::string> resolving_;
};

}  // namespace

void resolve_interpolations(Composed* composed) {
  Interpolator(composed).resolve_tree(composed->root, "");
}

}  // namespace attnlab::config
