// Edit distance and sacreBLEU-compatible BLEU. The tokenizer works on UTF-8
// bytes: every character its rules name is ASCII, and a multi-byte character
// is never one of them nor a digit, so each substitution finds the same
// matches on bytes as Python's re does on code points.
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>

namespace attnlab::train {
namespace {

constexpr int kMaxOrder = 4;

// sacreBLEU's my_log() floor for log(0): exp of a mean that includes it is 0.
constexpr double kLogZero = -9999999999.0;

// Python's str.replace: left to right, without overlaps.
std::string replace_all(const std::string& text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t start = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, start)) {
    out.append(text, start, at - start);
    out.append(to);
    start = at + from.size();
  }
  out.append(text, start, std::string::npos);
  return out;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_period_or_comma(char c) {
  return c == '.' || c == ',';
}

// The class [\{-\~\[-\` -\&\(-\+\:-\@\/] of TokenizerRegexp's first rule.
bool is_split_symbol(char c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

bool starts_with(std::string_view text, size_t at, std::string_view prefix) {
  return text.compare(at, prefix.size(), prefix) == 0;
}

// The UTF-8 encodings of the non-ASCII characters for which Python's
// str.isspace() is true. Their lead bytes never occur inside another
// character, so a match at any byte offset of valid UTF-8 is a real one.
constexpr std::string_view kUnicodeSpaces[] = {
    "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
    "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
    "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
    "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

bool is_ascii_space(char c) {
  return (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= ' ');
}

// The length in bytes of the whitespace character starting at `at`, 0 if none.
size_t space_at(std::string_view text, size_t at) {
  if (is_ascii_space(text[at])) return 1;
  for (const auto space : kUnicodeSpaces) {
    if (starts_with(text, at, space)) return space.size();
  }
  return 0;
}

// The length in bytes of the whitespace character ending `text`, 0 if none.
size_t space_before_end(std::string_view text) {
  if (text.empty()) return 0;
  if (is_ascii_space(text.back())) return 1;
  for (const auto space : kUnicodeSpaces) {
    if (text.size() >= space.size() && text.substr(text.size() - space.size()) == space) {
      return space.size();
    }
  }
  return 0;
}

// Python's str.rstrip() with no argument.
std::string rstrip(const std::string& text) {
  std::string_view view(text);
  while (const size_t n = space_before_end(view))
    view.remove_suffix(n);
  return std::string(view);
}

// Python's str.split() with no argument.
std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> tokens;
  const std::string_view view(text);
  size_t token_start = 0;
  bool in_token = false;
  for (size_t i = 0; i < view.size();) {
    const size_t space = space_at(view, i);
    if (space > 0 && in_token) tokens.emplace_back(view.substr(token_start, i - token_start));
    if (space > 0) {
      in_token = false;
      i += space;
    } else {
      if (!in_token) token_start = i;
      in_token = true;
      ++i;
    }
  }
  if (in_token) tokens.emplace_back(view.substr(token_start));
  return tokens;
}

// TokenizerRegexp's four substitutions. Each is one left-to-right scan that,
// like re.sub, resumes after a match and so never reuses its characters.
std::string split_symbols(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (is_split_symbol(c)) {
      out += ' ';
      out += c;
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// ([^0-9])([\.,]) -> "\1 \2 "
std::string split_period_after_non_digit(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && !is_digit(text[i]) && is_period_or_comma(text[i + 1])) {
      out += text[i];
      out += ' ';
      out += text[i + 1];
      out += ' ';
      i += 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// ([\.,])([^0-9]) -> " \1 \2". A multi-byte character after the period
// puts only its lead byte in the match; its other bytes are copied as they
// are next, which gives the same output.
std::string split_period_before_non_digit(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && is_period_or_comma(text[i]) && !is_digit(text[i + 1])) {
      out += ' ';
      out += text[i];
      out += ' ';
      out += text[i + 1];
      i += 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// ([0-9])(-) -> "\1 \2 "
std::string split_dash_after_digit(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && is_digit(text[i]) && text[i + 1] == '-') {
      out += text[i];
      out += " - ";
      i += 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& tokens, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += ' ';
    out += tokens[i];
  }
  return out;
}

// Counts of every n-gram of each order, keyed by its tokens joined with a
// space (tokens hold no whitespace, so the key is unambiguous).
using NgramCounts = std::array<std::map<std::string, std::int64_t>, kMaxOrder>;

NgramCounts count_ngrams(const std::vector<std::string>& tokens) {
  NgramCounts counts;
  for (size_t n = 1; n <= kMaxOrder; ++n) {
    for (size_t i = 0; i + n <= tokens.size(); ++i)
      ++counts[n - 1][join(tokens, i, i + n)];
  }
  return counts;
}

}  // namespace

std::int64_t edit_distance(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  // One row of the dynamic programme over the shorter sequence: row[j] is the
  // distance between the prefix of `longer` done so far and shorter[0, j).
  const auto& longer = a.size() >= b.size() ? a : b;
  const auto& shorter = a.size() >= b.size() ? b : a;
  std::vector<std::int64_t> row(shorter.size() + 1);
  for (size_t j = 0; j < row.size(); ++j)
    row[j] = static_cast<std::int64_t>(j);
  for (size_t i = 1; i <= longer.size(); ++i) {
    std::int64_t diagonal = row[0];  // the previous row's row[j - 1]
    row[0] = static_cast<std::int64_t>(i);
    for (size_t j = 1; j < row.size(); ++j) {
      const std::int64_t above = row[j];
      const std::int64_t substitution = diagonal + (longer[i - 1] == shorter[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row.back();
}

std::string tokenize_13a(const std::string& line) {
  std::string text = replace_all(line, "<skipped>", "");
  text = replace_all(text, "-\n", "");
  text = replace_all(text, "\n", " ");
  if (text.find('&') != std::string::npos) {
    text = replace_all(text, "&quot;", "\"");
    text = replace_all(text, "&amp;", "&");
    text = replace_all(text, "&lt;", "<");
    text = replace_all(text, "&gt;", ">");
  }
  text = " " + text + " ";
  text = split_symbols(text);
  text = split_period_after_non_digit(text);
  text = split_period_before_non_digit(text);
  text = split_dash_after_digit(text);
  const auto tokens = split(text);
  return join(tokens, 0, tokens.size());
}

BleuStats& BleuStats::operator+=(const BleuStats& other) {
  for (size_t n = 0; n < kMaxOrder; ++n) {
    matches[n] += other.matches[n];
    totals[n] += other.totals[n];
  }
  hypothesis_length += other.hypothesis_length;
  reference_length += other.reference_length;
  reference_4grams += other.reference_4grams;
  return *this;
}

namespace {

BleuStats token_stats(const std::vector<std::string>& hypothesis_tokens,
                      const std::vector<std::string>& reference_tokens) {
  const NgramCounts hypothesis_ngrams = count_ngrams(hypothesis_tokens);
  const NgramCounts reference_ngrams = count_ngrams(reference_tokens);

  BleuStats stats;
  stats.hypothesis_length = static_cast<std::int64_t>(hypothesis_tokens.size());
  stats.reference_length = static_cast<std::int64_t>(reference_tokens.size());
  stats.reference_4grams = std::max<std::int64_t>(0, stats.reference_length - (kMaxOrder - 1));
  for (size_t n = 0; n < kMaxOrder; ++n) {
    for (const auto& [ngram, count] : hypothesis_ngrams[n]) {
      stats.totals[n] += count;
      const auto found = reference_ngrams[n].find(ngram);
      if (found != reference_ngrams[n].end()) stats.matches[n] += std::min(count, found->second);
    }
  }
  return stats;
}

std::vector<std::string> id_tokens(const std::vector<std::int64_t>& ids) {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const auto id : ids)
    tokens.push_back(std::to_string(id));
  return tokens;
}

}  // namespace

BleuStats bleu_stats(const std::string& hypothesis, const std::string& reference) {
  return token_stats(split(tokenize_13a(rstrip(hypothesis))),
                     split(tokenize_13a(rstrip(reference))));
}

BleuStats bleu_stats(const std::vector<std::int64_t>& hypothesis,
                     const std::vector<std::int64_t>& reference) {
  return token_stats(id_tokens(hypothesis), id_tokens(reference));
}

bool bleu_defined(const BleuStats& stats) {
  return stats.reference_4grams > 0;
}

double corpus_bleu(const BleuStats& stats) {
  // The order of operations follows compute_bleu() so that results agree to
  // the last bit where the C library's exp and log agree with Python's.
  const auto hypothesis_length = static_cast<double>(stats.hypothesis_length);
  const auto reference_length = static_cast<double>(stats.reference_length);
  double penalty = 1.0;
  if (stats.hypothesis_length < stats.reference_length) {
    penalty =
        stats.hypothesis_length > 0 ? std::exp(1.0 - reference_length / hypothesis_length) : 0.0;
  }

  const bool any_match = std::any_of(stats.matches.begin(), stats.matches.end(),
                                     [](std::int64_t m) { return m != 0; });
  if (!any_match) return 0.0;

  std::array<double, kMaxOrder> precisions{};
  double smooth = 1.0;
  for (size_t n = 0; n < kMaxOrder; ++n) {
    if (stats.totals[n] == 0) break;
    const auto total = static_cast<double>(stats.totals[n]);
    if (stats.matches[n] == 0) {
      smooth *= 2.0;
      precisions[n] = 100.0 / (smooth * total);
    } else {
      precisions[n] = 100.0 * static_cast<double>(stats.matches[n]) / total;
    }
  }

  double log_sum = 0.0;
  for (const double p : precisions)
    log_sum += p == 0.0 ? kLogZero : std::log(p);
  return penalty * std::exp(log_sum / kMaxOrder);
}

double corpus_bleu(const std::vector<std::string>& hypotheses,
                   const std::vector<std::string>& references) {
  if (hypotheses.size() != references.size()) {
    throw std::invalid_argument("corpus_bleu: " + std::to_string(hypotheses.size()) +
                                " hypotheses but " + std::to_string(references.size()) +
                                " references");
  }
  BleuStats stats;
  for (size_t i = 0; i < hypotheses.size(); ++i)
    stats += bleu_stats(hypotheses[i], references[i]);
  return corpus_bleu(stats);
}

}  // namespace attnlab::train
