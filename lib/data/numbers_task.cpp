// Spelling numbers with ICU. Two ICU habits shape this file:
// - asked for a language it has no rules for, RuleBasedNumberFormat does not
//   fail: it falls back to the process's default locale ("xx" comes out in
//   English under LANG=C) or to root, which writes digits. The language ICU
//   actually used is compared with the one asked for.
// - some languages switch to digits above a size ("1 000 000 000 000" in
//   Khmer), so the longest number spelled in words is measured here.
// A generated task adds no symbols once training starts, so the vocabulary is
// built from a covering set of numbers: all of 0 to 9999 (every small-number
// word and its inflections), every d * 10^k (the scale words, singular and
// plural) and random numbers of every longer length (their combinations).
#include "data/numbers_task.h"

#include <unicode/locid.h>
#include <unicode/rbnf.h>
#include <unicode/uchar.h>
#include <unicode/udata.h>
#include <unicode/uenum.h>
#include <unicode/unistr.h>
#include <unicode/ures.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "base/errors.h"
#include "base/text.h"

namespace attnlab::data {
namespace {

constexpr int kRandomPerLength = 3000;  // random numbers per length in the covering set

std::int64_t power_of_ten(int exponent) {
  std::int64_t p = 1;
  for (int i = 0; i < exponent; ++i)
    p *= 10;
  return p;
}

// A number of exactly `digits` digits, uniform over them (0 to 9 for one).
std::int64_t random_number(Rng& rng, int digits) {
  const std::int64_t low = digits == 1 ? 0 : power_of_ten(digits - 1);
  const std::uint64_t count = digits == 1 ? 10 : static_cast<std::uint64_t>(9 * low);
  return low + static_cast<std::int64_t>(rng.below(count));
}

// The numbers of the covering set with exactly `digits` digits.
std::vector<std::int64_t> covering_numbers(int digits) {
  std::vector<std::int64_t> numbers;
  const std::int64_t low = digits == 1 ? 0 : power_of_ten(digits - 1);
  const std::int64_t high = power_of_ten(digits) - 1;
  if (digits <= 4) {
    for (std::int64_t n = low; n <= high; ++n)
      numbers.push_back(n);
    return numbers;
  }
  for (std::int64_t d = 1; d <= 9; ++d)
    numbers.push_back(d * low);
  numbers.push_back(high);
  Rng rng(derive_seed(0, "numbers", static_cast<std::uint64_t>(digits)));
  for (int i = 0; i < kRandomPerLength; ++i)
    numbers.push_back(random_number(rng, digits));
  return numbers;
}

std::string utf8(const std::u32string& characters) {
  icu::UnicodeString text;
  for (const char32_t c : characters)
    text.append(static_cast<UChar32>(c));
  std::string out;
  text.toUTF8String(out);
  return out;
}

}  // namespace

// ICU's spell-out formatter for one language.
class NumbersTask::Speller {
 public:
  struct Words {
    std::u32string characters;  // code points
    bool has_digits = false;    // ICU wrote (some of) the number in digits
  };

  explicit Speller(const std::string& language) {
    const icu::Locale locale = icu::Locale::createCanonical(language.c_str());
    UErrorCode status = U_ZERO_ERROR;
    format_ = std::make_unique<icu::RuleBasedNumberFormat>(icu::URBNF_SPELLOUT, locale, status);
    std::string actual;
    if (U_SUCCESS(status)) actual = format_->getLocale(ULOC_ACTUAL_LOCALE, status).getName();
    const std::string actual_language = icu::Locale(actual.c_str()).getLanguage();
    if (U_FAILURE(status) || locale.isBogus() || language.empty() || actual_language.empty() ||
        actual_language != locale.getLanguage()) {
      throw base::KeyError(
          "task.language",
          "ICU has no spell-out rules for '" + language + "'" +
              (actual.empty() ? std::string() : " (it would fall back to '" + actual + "')") +
              "; valid: " + base::join(NumbersTask::languages()));
    }
    // The counting form ("eins", not "ein"); every language in ICU 72 has it.
    const icu::UnicodeString numbering = icu::UnicodeString::fromUTF8("%spellout-numbering");
    for (int32_t i = 0; i < format_->getNumberOfRuleSetNames(); ++i) {
      if (format_->getRuleSetName(i) == numbering) format_->setDefaultRuleSet(numbering, status);
    }
    if (U_FAILURE(status)) {
      throw std::runtime_error("ICU failed to select the rule set %spellout-numbering for '" +
                               language + "': " + u_errorName(status));
    }
  }

  Words spell(std::int64_t number) const {
    icu::UnicodeString text;
    {
      // Formatting is const, but ICU's formatters are not documented as safe
      // to share between threads.
      const std::lock_guard<std::mutex> lock(mutex_);
      format_->format(static_cast<int64_t>(number), text);
    }
    Words words;
    for (int32_t i = 0; i < text.length();) {
      const UChar32 c = text.char32At(i);
      i += U16_LENGTH(c);
      // Soft hyphens and zero-width spaces are break hints, invisible in text.
      if (c == 0x00AD || c == 0x200B) continue;
      if (u_isdigit(c)) words.has_digits = true;
      words.characters.push_back(static_cast<char32_t>(c));
    }
    return words;
  }

 private:
  std::unique_ptr<icu::RuleBasedNumberFormat> format_;
  mutable std::mutex mutex_;
};

NumbersTask::NumbersTask(const config::TaskSettings& settings)
    : speller_(std::make_unique<const Speller>(settings.language)),
      words_(settings.tokenize == config::Tokenize::kWhitespace),
      vocabulary_(words_ ? " " : "") {
  to_digits_ = settings.direction == config::Direction::kToDigits;
  zero_ = vocabulary_.add("0");
  for (char c = '1'; c <= '9'; ++c)
    vocabulary_.add(std::string(1, c));

  // The lengths whose every covering number ICU spells in words, from 1 up;
  // their tokens join the vocabulary in code point order.
  std::set<std::string> alphabet;
  longest_words_.assign(kMaxDigits + 1, 0);
  max_digits_ = 0;
  for (int digits = 1; digits <= kMaxDigits; ++digits) {
    std::set<std::string> tokens;
    int longest = longest_words_[static_cast<size_t>(digits - 1)];
    bool in_words = true;
    for (const auto number : covering_numbers(digits)) {
      const Speller::Words words = speller_->spell(number);
      if (words.has_digits) {
        in_words = false;
        break;
      }
      const auto split = split_words(words.characters);
      tokens.insert(split.begin(), split.end());
      longest = std::max(longest, static_cast<int>(split.size()));
    }
    if (!in_words) break;
    max_digits_ = digits;
    alphabet.insert(tokens.begin(), tokens.end());
    longest_words_[static_cast<size_t>(digits)] = longest;
  }
  for (const auto& token : alphabet)
    vocabulary_.add(token);
  if (max_digits_ == 0) {
    throw base::KeyError("task.language", "ICU writes even one-digit numbers in '" +
                                              settings.language + "' with digits");
  }
  if (words_) check_closed_vocabulary(settings.language);

  for (const auto& [key, lengths] : {std::make_pair("task.train_lengths", settings.train_lengths),
                                     std::make_pair("task.test_lengths", settings.test_lengths)}) {
    if (lengths[0] >= 1 && lengths[1] <= max_digits_) continue;
    throw base::KeyError(
        key, "numbers have 1 to " + std::to_string(max_digits_) + " digits" +
                 (max_digits_ < kMaxDigits
                      ? " in '" + settings.language + "' (ICU writes longer ones with digits)"
                      : std::string()) +
                 ", got [" + std::to_string(lengths[0]) + ", " + std::to_string(lengths[1]) + "]");
  }
}

NumbersTask::~NumbersTask() = default;

std::string NumbersTask::spell_out(const std::string& language, std::int64_t number) {
  return utf8(Speller(language).spell(number).characters);
}

std::vector<std::string> NumbersTask::languages() {
  // ICU's spell-out rules live in their own tree of its data, "rbnf".
  UErrorCode status = U_ZERO_ERROR;
  UEnumeration* all =
      ures_openAvailableLocales(U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "rbnf", &status);
  std::vector<std::string> names;
  const char* name = nullptr;
  while (U_SUCCESS(status) && (name = uenum_next(all, nullptr, &status)) != nullptr) {
    if (std::string(name) != "root") names.push_back(name);
  }
  if (all != nullptr) uenum_close(all);
  return names;
}

int NumbersTask::words_bound(int length) const {
  const int longest = longest_words_[static_cast<size_t>(std::clamp(length, 1, max_digits_))];
  return (3 * longest + 1) / 2 + 4;
}

int NumbersTask::max_source_tokens(int length) const {
  return to_digits_ ? words_bound(length) : std::max(length, 1);
}

int NumbersTask::max_target_tokens(int length) const {
  return to_digits_ ? std::max(length, 1) : words_bound(length);
}

std::vector<std::string> NumbersTask::split_words(const std::u32string& characters) const {
  std::vector<std::string> tokens;
  if (!words_) {
    for (const char32_t c : characters)
      tokens.push_back(utf8(std::u32string(1, c)));
    return tokens;
  }
  std::u32string word;
  for (const char32_t c : characters) {
    if (c != U' ') {
      word.push_back(c);
    } else if (!word.empty()) {
      tokens.push_back(utf8(word));
      word.clear();
    }
  }
  if (!word.empty()) tokens.push_back(utf8(word));
  return tokens;
}

std::optional<std::string> NumbersTask::missing_token(std::int64_t number,
                                                      std::vector<std::int64_t>* ids) const {
  const Speller::Words words = speller_->spell(number);
  if (words.has_digits) {
    throw std::logic_error("numbers: ICU wrote " + std::to_string(number) +
                           " with digits: " + utf8(words.characters));
  }
  for (const auto& token : split_words(words.characters)) {
    const auto id = vocabulary_.find(token);
    if (!id) return token;
    ids->push_back(*id);
  }
  return std::nullopt;
}

std::vector<std::int64_t> NumbersTask::word_ids(std::int64_t number) const {
  std::vector<std::int64_t> ids;
  if (const auto token = missing_token(number, &ids)) {
    throw std::logic_error("numbers: the words for " + std::to_string(number) + " ('" +
                           words_of(number) + "') hold '" + *token +
                           "', which the vocabulary built at construction lacks");
  }
  return ids;
}

void NumbersTask::check_closed_vocabulary(const std::string& language) const {
  // Whole words come from a closed list in languages that write numbers as
  // separate words ("two hundred forty-one"), not in those that join them
  // ("zweihunderteinundvierzig"): a second sample of every length finds no
  // new word in the first kind.
  for (int digits = 1; digits <= max_digits_; ++digits) {
    Rng rng(derive_seed(1, "numbers words", static_cast<std::uint64_t>(digits)));
    for (int i = 0; i < kRandomPerLength; ++i) {
      const std::int64_t number = random_number(rng, digits);
      std::vector<std::int64_t> ids;
      const auto token = missing_token(number, &ids);
      if (!token) continue;
      throw base::KeyError("task.tokenize",
                           "whitespace needs number words from a closed list, but '" + language +
                               "' joins them into new words ('" + words_of(number) + "' for " +
                               std::to_string(number) + " holds '" + *token +
                               "', unseen before); use task.tokenize=char, or a language that "
                               "writes numbers as separate words (en)");
    }
  }
}

std::string NumbersTask::words_of(std::int64_t number) const {
  return utf8(speller_->spell(number).characters);
}

Example NumbersTask::generate(Rng& rng, int length) const {
  if (length < 1 || length > max_digits_) {
    throw std::invalid_argument("numbers: no numbers of " + std::to_string(length) +
                                " digits; the task has 1 to " + std::to_string(max_digits_));
  }
  const std::int64_t number = random_number(rng, length);
  std::vector<std::int64_t> digits;
  for (const char c : std::to_string(number))
    digits.push_back(zero_ + (c - '0'));
  std::vector<std::int64_t> words = word_ids(number);
  Example e;
  e.length = length;
  e.source = to_digits_ ? std::move(words) : std::move(digits);
  e.target = to_digits_ ? std::move(digits) : std::move(words);
  return e;
}

}  // namespace attnlab::data
