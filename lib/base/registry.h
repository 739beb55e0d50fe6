// One table from names to values (factories, usually), in a fixed order:
// the names for "valid: ..." lists and help texts, the lookup, and the
// error that says what is valid. Every registry in the library is one.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/text.h"

namespace attnlab::base {

template <typename Value>
class Registry {
 public:
  using Entry = std::pair<std::string, Value>;

  // `kind` names what the table holds, for errors: "attention", "task".
  Registry(std::string kind, std::vector<Entry> entries)
      : kind_(std::move(kind)), entries_(std::move(entries)) {}

  // Every name, in table order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& entry : entries_)
      out.push_back(entry.first);
    return out;
  }

  // The value for `name`, or nullptr.
  const Value* find(const std::string& name) const {
    for (const auto& entry : entries_) {
      if (entry.first == name) return &entry.second;
    }
    return nullptr;
  }

  // The value for `name`. Throws std::invalid_argument
  // "unknown KIND 'NAME'; valid: a, b, c" when there is none.
  const Value& at(const std::string& name) const {
    if (const Value* value = find(name)) return *value;
    throw std::invalid_argument("unknown " + kind_ + " '" + name + "'; valid: " + join(names()));
  }

  // The name of `value` (for a table of distinct values: enum names).
  // Throws std::logic_error when no entry holds it.
  const std::string& name_of(const Value& value) const {
    for (const auto& entry : entries_) {
      if (entry.second == value) return entry.first;
    }
    throw std::logic_error("a " + kind_ + " without a name");
  }

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::string kind_;
  std::vector<Entry> entries_;
};

}  // namespace attnlab::base
