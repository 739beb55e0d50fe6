// A number written in words <-> its digits, from ICU's spell-out rules
// (RuleBasedNumberFormat, rule set %spellout-numbering):
//
//   "zweihunderteinundvierzig" <-> "241"    "two hundred forty-one" <-> "241"
//
// task.language picks the language (an ICU locale: en, de, fr, ja, ...),
// task.direction the side that is the source: "to_digits" (words -> digits)
// or "to_words". One character (code point) per token (task.tokenize=char),
// or on the words side one word per token (whitespace: "two hundred
// forty-one" is three tokens, so BLEU counts words), for languages whose
// number words come from a closed list (en; not de, which joins them). The
// length is the number of digits, 1 to 18 (less where ICU writes longer
// numbers in digits).
// A number of L digits is uniform over those with exactly L digits (0 to 9
// for L = 1).
//
// ICU marks break opportunities inside words with invisible characters: soft
// hyphens in German, Dutch, Spanish, Swedish, ... ("ein\u00ADund\u00ADzwanzig")
// and zero-width spaces in Thai, Lao and Khmer. They are removed, so the words
// are what a reader sees ("einundzwanzig").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/task.h"

namespace attnlab::data {

class NumbersTask : public GeneratedTask {
 public:
  static constexpr int kMaxDigits = 18;  // every such number fits std::int64_t

  // Throws std::invalid_argument naming task.language (no spell-out rules:
  // ICU would silently fall back to the default locale), task.train_lengths
  // / task.test_lengths (outside 1 to max_digits()) or task.tokenize (words
  // in a language that joins number words into new ones).
  explicit NumbersTask(const config::TaskSettings& settings);
  ~NumbersTask() override;

  const Vocabulary& vocabulary() const override { return vocabulary_; }
  std::string length_unit() const override { return "digits"; }
  std::string data_identity() const override { return icu_identity(); }
  // Exact on the digits side (`length`). On the words side an estimate with
  // margin: 1.5 times the most tokens measured at construction over the
  // numbers of at most `length` digits (0 to 9999, every d * 10^k, and 3000
  // random numbers of each longer length), plus 4. Lengths above
  // max_digits() are bounded as max_digits().
  int max_source_tokens(int length) const override;
  int max_target_tokens(int length) const override;

  // The most digits of a number this language spells out in words: 18, less
  // where ICU writes longer numbers in digits (ICU 72: Khmer and Sundanese
  // 12, Nepali 15, Chakma 17).
  int max_digits() const { return max_digits_; }

  // The words for `number` in `language`, as the task writes them. Throws
  // std::invalid_argument like the constructor for an unknown language.
  static std::string spell_out(const std::string& language, std::int64_t number);
  // The languages with spell-out rules (ICU's rbnf locales).
  static std::vector<std::string> languages();

 protected:
  // REQUIRES: 1 <= length <= max_digits(). Throws std::logic_error should
  // the words hold a character outside the vocabulary, or a digit.
  Example generate(Rng& rng, int length) const override;

 private:
  class Speller;  // ICU's formatter, kept out of this header

  // The tokens of the words: characters, or whitespace-separated words.
  std::vector<std::string> split_words(const std::u32string& characters) const;
  // Appends the ids of `number`'s word tokens to `ids`; the first token the
  // vocabulary lacks, if any.
  std::optional<std::string> missing_token(std::int64_t number,
                                           std::vector<std::int64_t>* ids) const;
  std::vector<std::int64_t> word_ids(std::int64_t number) const;
  // Throws std::invalid_argument (task.tokenize) when a fresh sample of
  // numbers holds a word the vocabulary lacks.
  void check_closed_vocabulary(const std::string& language) const;
  std::string words_of(std::int64_t number) const;
  int words_bound(int length) const;

  std::unique_ptr<const Speller> speller_;
  bool words_ = false;  // one token per word on the words side
  bool to_digits_ = true;
  int max_digits_ = kMaxDigits;
  Vocabulary vocabulary_;
  std::int64_t zero_ = 0;           // id of '0'; '1'..'9' follow
  std::vector<int> longest_words_;  // [L]: most tokens measured for <= L digits
};

}  // namespace attnlab::data
