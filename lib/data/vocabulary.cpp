// Symbols print as letters while they last, then as s26, s27, ...
#include "data/vocabulary.h"

#include <stdexcept>

namespace attnlab::data {

Vocabulary::Vocabulary(std::string separator) : separator_(std::move(separator)) {
  for (const char* special : {"<pad>", "<bos>", "<eos>"})
    add(special);
}

Vocabulary::Vocabulary(int symbols) : Vocabulary(" ") {
  for (int i = 0; i < symbols; ++i) {
    add(i < 26 ? std::string(1, static_cast<char>('a' + i)) : "s" + std::to_string(i));
  }
}

std::int64_t Vocabulary::add(const std::string& symbol) {
  const auto [it, added] = index_.emplace(symbol, size());
  if (added) names_.push_back(symbol);
  return it->second;
}

std::optional<std::int64_t> Vocabulary::find(const std::string& symbol) const {
  const auto it = index_.find(symbol);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::int64_t> Vocabulary::ids(const std::vector<std::string>& symbols) const {
  std::vector<std::int64_t> out;
  out.reserve(symbols.size());
  for (const auto& s : symbols) {
    const auto id = find(s);
    if (!id) throw std::out_of_range("symbol '" + s + "' is not in the vocabulary");
    out.push_back(*id);
  }
  return out;
}

const std::string& Vocabulary::name(std::int64_t id) const {
  if (id < 0 || id >= size()) throw std::out_of_range("token id " + std::to_string(id));
  return names_[static_cast<size_t>(id)];
}

std::string Vocabulary::render(const std::vector<std::int64_t>& ids) const {
  std::string out;
  bool first = true;
  for (const auto id : ids) {
    if (id == kEos) break;
    if (!first) out += separator_;
    out += name(id);
    first = false;
  }
  return out;
}

std::vector<std::string> utf8_characters(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t n = lead < 0x80           ? 1
               : (lead >> 5) == 0x6  ? 2
               : (lead >> 4) == 0xE  ? 3
               : (lead >> 3) == 0x1E ? 4
                                     : 1;
    if (i + n > text.size()) n = 1;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) n = 1;
    }
    out.push_back(text.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace attnlab::data
