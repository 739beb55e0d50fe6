// Token ids shared by every task: 0 = <pad>, 1 = <bos>, 2 = <eos>, then the
// task's own symbols. One vocabulary serves source and target (a joined
// dictionary): tasks whose two sides use different symbols simply never
// produce some ids on one side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnlab::data {

constexpr std::int64_t kPad = 0;
constexpr std::int64_t kBos = 1;
constexpr std::int64_t kEos = 2;
constexpr std::int64_t kFirstSymbol = 3;

class Vocabulary {
 public:
  // The three specials only; symbols come with add(). Text joins symbols
  // with `separator` ("" for characters, " " for words and symbols).
  explicit Vocabulary(std::string separator = " ");
  // A vocabulary of `symbols` content symbols named a, b, ..., z, s26, s27, ...
  explicit Vocabulary(int symbols);

  // The id of `symbol`, added when new.
  std::int64_t add(const std::string& symbol);
  std::optional<std::int64_t> find(const std::string& symbol) const;
  // The ids of `symbols`. REQUIRES: every symbol is in the vocabulary.
  std::vector<std::int64_t> ids(const std::vector<std::string>& symbols) const;

  int size() const { return static_cast<int>(names_.size()); }  // V
  const std::string& name(std::int64_t id) const;
  const std::string& separator() const { return separator_; }
  // The text of `ids`, joined by the separator, stopping at <eos>.
  std::string render(const std::vector<std::int64_t>& ids) const;

 private:
  std::string separator_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::int64_t> index_;
};

// The UTF-8 characters (code points) of `text`, each as its own string.
// Invalid bytes come out one per string.
std::vector<std::string> utf8_characters(const std::string& text);

}  // namespace attnlab::data
