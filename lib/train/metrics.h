// Sequence metrics that need no LibTorch: Levenshtein distance over token ids
// (the error rates: PER, WER, CER) and corpus BLEU computed as sacreBLEU does.
//
// BLEU follows sacreBLEU 2.x `corpus_bleu` with its defaults (Post, 2018,
// "A Call for Clarity in Reporting BLEU Scores"): the '13a' tokenizer of
// mteval-v13a.pl, case kept, n-grams up to 4, 'exp' smoothing (Chen and
// Cherry, 2014, method 3), one reference per segment. Papers report that
// configuration, so a number from here can be set beside theirs. Counts are
// kept per segment and summed (BleuStats), and the score is computed once from
// the sums: corpus BLEU is not the mean of sentence BLEUs.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attnlab::train {

// The Levenshtein distance between `a` and `b`: the fewest insertions,
// deletions and substitutions, each costing 1, that turn `a` into `b`.
// Symmetric. O(|a| |b|) time, O(min(|a|, |b|)) memory.
std::int64_t edit_distance(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b);

// sacreBLEU's Tokenizer13a applied to one line of UTF-8 text. Removes
// "<skipped>" and "-\n", turns "\n" into a space, unescapes &quot; &amp; &lt;
// &gt; (in that order, so "&amp;lt;" becomes "<"), then pads the line with a
// space on each side and applies TokenizerRegexp's substitutions in order:
//   1. each of { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
//      is surrounded by spaces (the apostrophe and '-' are not);
//   2. '.' and ',' are split from a preceding non-digit;
//   3. '.' and ',' are split from a following non-digit;
//   4. '-' is split from a preceding digit.
// Returns the tokens joined by single spaces. Whitespace is what Python's
// str.split() takes for it: ASCII \t \n \v \f \r, \x1c-\x1f and space, and
// U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F and
// U+3000. "3.14", "1,000" and "don't" stay whole; "1-2" becomes "1 - 2" but
// "a-b" stays. Bytes that are not valid UTF-8 pass through unchanged.
std::string tokenize_13a(const std::string& line);

// BLEU's sufficient statistics for one or more segments; sums over a corpus.
struct BleuStats {
  // matches[n - 1]: hypothesis n-grams found in the reference, each counted at
  // most as often as the reference holds it. totals[n - 1]: hypothesis n-grams.
  std::array<std::int64_t, 4> matches{};
  std::array<std::int64_t, 4> totals{};
  std::int64_t hypothesis_length = 0;  // hypothesis tokens
  std::int64_t reference_length = 0;   // reference tokens
  std::int64_t reference_4grams = 0;   // 4-grams in the references

  BleuStats& operator+=(const BleuStats& other);
};

// The statistics of one segment. Both strings are raw, untokenized text: each
// has trailing whitespace stripped (as sacreBLEU does before tokenizing, so a
// final "-\n" is kept as "-") and is tokenized with tokenize_13a(). A
// hypothesis n-gram matches at most as often as the reference holds it.
// sacreBLEU refuses an empty reference; here it counts as zero tokens, the
// same as a reference of only spaces, which sacreBLEU accepts.
BleuStats bleu_stats(const std::string& hypothesis, const std::string& reference);

// The statistics of one segment of a task's own tokens (ids, <eos> and
// after excluded): each id is one token, so character-level and
// symbol-level tasks are scored on their symbols, not on words made of them.
BleuStats bleu_stats(const std::vector<std::int64_t>& hypothesis,
                     const std::vector<std::int64_t>& reference);

// Whether BLEU means anything for these statistics: some reference holds a
// 4-gram. Without one (every reference shorter than 4 tokens) the 4-gram
// precision has nothing to count and BLEU is 0 whatever was decoded; it is
// reported as undefined ("n/a", NULL in the database) instead.
bool bleu_defined(const BleuStats& stats);

// BLEU in [0, 100] from summed statistics, as sacreBLEU's BLEU.compute_bleu
// with smooth_method 'exp' and effective_order off:
//   - 0 when no n-gram of any order matches;
//   - precision p_n = 100 matches[n] / totals[n]; an order with no match gets
//     100 / (2^k totals[n]) instead, k counting the orders without a match so
//     far (1, 2, ...);
//   - an order whose total is 0 (a hypothesis shorter than n tokens) and every
//     order after it have precision 0, which makes the score 0;
//   - brevity penalty exp(1 - reference_length / hypothesis_length) when the
//     hypothesis is shorter, 0 when it is empty, 1 otherwise;
//   - BLEU = penalty * exp(mean over n = 1..4 of log p_n).
double corpus_bleu(const BleuStats& stats);

// Corpus BLEU of hypotheses[i] against references[i], summing bleu_stats()
// over the segments. Empty lists score 0.
// REQUIRES: hypotheses.size() == references.size(); throws
// std::invalid_argument otherwise.
double corpus_bleu(const std::vector<std::string>& hypotheses,
                   const std::vector<std::string>& references);

}  // namespace attnlab::train
