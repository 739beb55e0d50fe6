// Token ids shared by every task: 0 = <pad>, 1 = <bos>, 2 = <eos>, then the
// task's own symbols.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab::data {

constexpr std::int64_t kPad = 0;
constexpr std::int64_t kBos = 1;
constexpr std::int64_t kEos = 2;
constexpr std::int64_t kFirstSymbol = 3;

class Vocabulary {
 public:
  // A vocabulary of `symbols` content symbols besides the three specials.
  explicit Vocabulary(int symbols);

  int size() const { return static_cast<int>(names_.size()); }  // V
  const std::string& name(std::int64_t id) const;
  // Renders ids as text, stopping at <eos>.
  std::string render(const std::vector<std::int64_t>& ids) const;

 private:
  std::vector<std::string> names_;
};

}  // namespace attnlab::data
