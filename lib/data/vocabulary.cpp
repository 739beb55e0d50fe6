// Symbols print as letters while they last, then as s26, s27, ...
#include "data/vocabulary.h"

#include <stdexcept>

namespace attnlab::data {

Vocabulary::Vocabulary(int symbols) : names_{"<pad>", "<bos>", "<eos>"} {
  for (int i = 0; i < symbols; ++i) {
    names_.push_back(i < 26 ? std::string(1, static_cast<char>('a' + i)) : "s" + std::to_string(i));
  }
}

const std::string& Vocabulary::name(std::int64_t id) const {
  if (id < 0 || id >= size()) throw std::out_of_range("token id " + std::to_string(id));
  return names_[static_cast<size_t>(id)];
}

std::string Vocabulary::render(const std::vector<std::int64_t>& ids) const {
  std::string out;
  for (const auto id : ids) {
    if (id == kEos) break;
    if (!out.empty()) out += ' ';
    out += name(id);
  }
  return out;
}

}  // namespace attnlab::data
