// Edit distance, the 13a tokenizer and sacreBLEU-compatible BLEU, each against
// values worked out by hand in the comments.
#include "train/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace attnlab::train {
namespace {

using Ids = std::vector<std::int64_t>;

// Relative tolerance for BLEU: the hand formulas and compute_bleu() round
// differently in the last bits.
void expect_bleu(double actual, double expected) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::max(1.0, std::abs(expected)));
}

TEST(EditDistance, EmptyAgainstNIsN) {
  EXPECT_EQ(edit_distance({}, {}), 0);
  EXPECT_EQ(edit_distance({}, {1, 2, 3}), 3);
  EXPECT_EQ(edit_distance({1, 2, 3, 4}, {}), 4);
}

TEST(EditDistance, OneSubstitutionInsertionOrDeletion) {
  EXPECT_EQ(edit_distance({1, 2, 3}, {1, 2, 3}), 0);
  EXPECT_EQ(edit_distance({1, 2, 3}, {1, 9, 3}), 1);        // 2 -> 9
  EXPECT_EQ(edit_distance({1, 3}, {1, 2, 3}), 1);           // insert 2
  EXPECT_EQ(edit_distance({1, 2, 3}, {1, 3}), 1);           // delete 2
  EXPECT_EQ(edit_distance({1, 2, 3}, {2, 3, 1}), 2);        // delete the first 1, append one
  EXPECT_EQ(edit_distance({1, 2, 3, 4}, {4, 3, 2, 1}), 4);  // 4 substitutions beat anything shorter
}

TEST(EditDistance, KittenToSittingIsThree) {
  // k->s, e->i, insert g: the textbook example, with letters as ids.
  const Ids kitten = {'k', 'i', 't', 't', 'e', 'n'};
  const Ids sitting = {'s', 'i', 't', 't', 'i', 'n', 'g'};
  EXPECT_EQ(edit_distance(kitten, sitting), 3);
}

TEST(EditDistance, IsSymmetric) {
  const Ids a = {5, 1, 4, 1, 5, 9, 2, 6};
  const Ids b = {1, 4, 2, 1, 3, 5, 6};
  EXPECT_EQ(edit_distance(a, b), edit_distance(b, a));
  const Ids kitten = {'k', 'i', 't', 't', 'e', 'n'};
  const Ids sitting = {'s', 'i', 't', 't', 'i', 'n', 'g'};
  EXPECT_EQ(edit_distance(sitting, kitten), 3);
}

TEST(Tokenize13a, SplitsPunctuationFromWords) {
  // '!' is in the first rule's class; ',' follows a non-digit (rule 2).
  EXPECT_EQ(tokenize_13a("Hello, world!"), "Hello , world !");
  EXPECT_EQ(tokenize_13a("(1/2)"), "( 1 / 2 )");
  // Rule 2 takes "x." then ".." as its non-overlapping matches.
  EXPECT_EQ(tokenize_13a("x..."), "x . . .");
  // The apostrophe is not in the class; the backquote is.
  EXPECT_EQ(tokenize_13a("don't `x`"), "don't ` x `");
  EXPECT_EQ(tokenize_13a(""), "");
  EXPECT_EQ(tokenize_13a("  spaced   out  "), "spaced out");
}

TEST(Tokenize13a, KeepsPeriodsAndCommasBetweenDigits) {
  EXPECT_EQ(tokenize_13a("It costs 3.14 dollars, or 1,000 cents."),
            "It costs 3.14 dollars , or 1,000 cents .");
  // A period after a letter splits even before a digit (rule 2).
  EXPECT_EQ(tokenize_13a("v.2"), "v . 2");
}

TEST(Tokenize13a, SplitsADashOnlyAfterADigit) {
  EXPECT_EQ(tokenize_13a("a-b"), "a-b");
  EXPECT_EQ(tokenize_13a("1-2"), "1 - 2");
  EXPECT_EQ(tokenize_13a("x-1 1-a"), "x-1 1 - a");
}

TEST(Tokenize13a, UnescapesEntitiesInOrder) {
  EXPECT_EQ(tokenize_13a("Tom &amp; Jerry"), "Tom & Jerry");
  EXPECT_EQ(tokenize_13a("&lt;b&gt;"), "< b >");
  // &amp; is undone before &lt;, so "&amp;lt;" becomes "<"; but after
  // &quot;, so "&amp;quot;" stays "&quot;", then splits at '&' and ';'.
  EXPECT_EQ(tokenize_13a("&amp;lt;"), "<");
  EXPECT_EQ(tokenize_13a("&amp;quot;"), "& quot ;");
  EXPECT_EQ(tokenize_13a("&quot;hi&quot;"), "\" hi \"");
}

TEST(Tokenize13a, SplitsQuotes) {
  // '"' is padded (rule 1), then the final '.' follows a space (rule 2).
  EXPECT_EQ(tokenize_13a("He said \"hi\"."), "He said \" hi \" .");
}

TEST(Tokenize13a, RemovesSkippedAndJoinsHyphenatedLineBreaks) {
  EXPECT_EQ(tokenize_13a("line-\nbreak a\nb <skipped>c"), "linebreak a b c");
}

TEST(Tokenize13a, UnicodeSpacesSplitAsInPython) {
  // U+00A0, U+3000 and \x1f are whitespace to str.split(); U+200B is not.
  EXPECT_EQ(tokenize_13a("a\u00a0b\u3000c\u200bd\x1f"
                         "e"),
            "a b c\u200bd e");
  EXPECT_EQ(tokenize_13a("\u2028x\u0085y\u202f"), "x y");
  // Multi-byte letters are left whole, periods next to them split.
  EXPECT_EQ(tokenize_13a("caf\u00e9.\u00e9t\u00e9"), "caf\u00e9 . \u00e9t\u00e9");
}

TEST(BleuStats, CountsClippedNgrams) {
  // "the the the" against "the cat": 3 unigrams, "the" matches at most once;
  // 2 bigrams "the the", neither in the reference; 1 trigram; no 4-gram.
  const BleuStats s = bleu_stats("the the the", "the cat");
  EXPECT_EQ(s.matches, (std::array<std::int64_t, 4>{1, 0, 0, 0}));
  EXPECT_EQ(s.totals, (std::array<std::int64_t, 4>{3, 2, 1, 0}));
  EXPECT_EQ(s.hypothesis_length, 3);
  EXPECT_EQ(s.reference_length, 2);
}

TEST(CorpusBleu, IdenticalSentenceIs100) {
  // 7 tokens (the '.' is one); every precision is 100%, no penalty.
  expect_bleu(corpus_bleu({"The cat sat on the mat."}, {"The cat sat on the mat."}), 100.0);
}

TEST(CorpusBleu, PartialMatchesWithBrevityPenalty) {
  // hyp: The cat sat on the mat .               (7 tokens)
  // ref: The cat sat on the red mat today .     (9 tokens)
  // 1-grams: all 7 in the reference                                 7/7
  // 2-grams: The cat, cat sat, sat on, on the; not "the mat", "mat ."  4/6
  // 3-grams: The cat sat, cat sat on, sat on the                    3/5
  // 4-grams: The cat sat on, cat sat on the                         2/4
  // BP = exp(1 - 9/7) = exp(-2/7)
  // BLEU = 100 exp(-2/7) (1 * 4/6 * 3/5 * 2/4)^(1/4) = 100 exp(-2/7) 0.2^(1/4)
  //      = 100 * 0.7514773 * 0.6687403 = 50.2543154...
  const BleuStats s = bleu_stats("The cat sat on the mat.", "The cat sat on the red mat today.");
  EXPECT_EQ(s.matches, (std::array<std::int64_t, 4>{7, 4, 3, 2}));
  EXPECT_EQ(s.totals, (std::array<std::int64_t, 4>{7, 6, 5, 4}));
  EXPECT_EQ(s.hypothesis_length, 7);
  EXPECT_EQ(s.reference_length, 9);
  const double expected = 100.0 * std::exp(-2.0 / 7.0) * std::pow(0.2, 0.25);
  expect_bleu(corpus_bleu(s), expected);
  expect_bleu(corpus_bleu(s), 50.2543154154023);
}

TEST(CorpusBleu, ZeroFourGramMatchesAreSmoothed) {
  // hyp: the cat sat on the mat             (6 tokens)
  // ref: the cat sat quietly on the mat     (7 tokens)
  // 1-grams 6/6; 2-grams 4/5 ("sat on" missing); 3-grams 2/4 ("the cat sat",
  // "on the mat"); 4-grams 0/3, smoothed to 100 / (2 * 3).
  // BLEU = exp(1 - 7/6) (100 * 80 * 50 * 100/6)^(1/4) = 43.0125085...
  const BleuStats s = bleu_stats("the cat sat on the mat", "the cat sat quietly on the mat");
  EXPECT_EQ(s.matches, (std::array<std::int64_t, 4>{6, 4, 2, 0}));
  EXPECT_EQ(s.totals, (std::array<std::int64_t, 4>{6, 5, 4, 3}));
  const double expected =
      std::exp(-1.0 / 6.0) * std::pow(100.0 * 80.0 * 50.0 * (100.0 / 6.0), 0.25);
  expect_bleu(corpus_bleu(s), expected);
  expect_bleu(corpus_bleu(s), 43.01250851313264);
}

TEST(CorpusBleu, EachZeroOrderHalvesTheSmoothingAgain) {
  // hyp: a b c d; ref: a b x c d. 1-grams 4/4; 2-grams 2/3 ("a b", "c d");
  // 3-grams 0/2 -> 100 / (2 * 2) = 25; 4-grams 0/1 -> 100 / (4 * 1) = 25.
  // BLEU = exp(1 - 5/4) (100 * 200/3 * 25 * 25)^(1/4) = 35.1862973...
  const BleuStats s = bleu_stats("a b c d", "a b x c d");
  EXPECT_EQ(s.matches, (std::array<std::int64_t, 4>{4, 2, 0, 0}));
  EXPECT_EQ(s.totals, (std::array<std::int64_t, 4>{4, 3, 2, 1}));
  const double expected = std::exp(-0.25) * std::pow(100.0 * (200.0 / 3.0) * 25.0 * 25.0, 0.25);
  expect_bleu(corpus_bleu(s), expected);
  expect_bleu(corpus_bleu(s), 35.1862973998119);
}

TEST(CorpusBleu, HypothesisWithoutFourGramsScoresZero) {
  // "a b" has no 3- or 4-grams: compute_bleu stops at the empty order and
  // leaves precision 0, so even a perfect two-token match scores 0.
  expect_bleu(corpus_bleu({"a b"}, {"a b"}), 0.0);
}

TEST(CorpusBleu, NoMatchAtAllScoresZero) {
  expect_bleu(corpus_bleu({"x y z w"}, {"a b c d"}), 0.0);
}

TEST(CorpusBleu, CorpusScoreIsNotTheMeanOfSentenceScores) {
  // Sentence 1, "a b c d" against itself: 100. Sentence 2 as above: 35.186.
  // Their mean is 67.59. Summed: matches 8 5 2 1, totals 8 6 4 2, lengths
  // 8 and 9, so BLEU = 100 exp(1 - 9/8) (8/8 * 5/6 * 2/4 * 1/2)^(1/4)
  //                  = 100 exp(-1/8) (5/24)^(1/4) = 59.6214975...
  const std::vector<std::string> hypotheses = {"a b c d", "a b c d"};
  const std::vector<std::string> references = {"a b c d", "a b x c d"};
  const double corpus = corpus_bleu(hypotheses, references);
  expect_bleu(corpus, 100.0 * std::exp(-1.0 / 8.0) * std::pow(5.0 / 24.0, 0.25));
  expect_bleu(corpus, 59.6214975694517);
  const double mean = (corpus_bleu({hypotheses[0]}, {references[0]}) +
                       corpus_bleu({hypotheses[1]}, {references[1]})) /
                      2.0;
  EXPECT_GT(mean - corpus, 7.0);

  BleuStats summed = bleu_stats(hypotheses[0], references[0]);
  summed += bleu_stats(hypotheses[1], references[1]);
  EXPECT_EQ(summed.matches, (std::array<std::int64_t, 4>{8, 5, 2, 1}));
  EXPECT_EQ(summed.totals, (std::array<std::int64_t, 4>{8, 6, 4, 2}));
  EXPECT_DOUBLE_EQ(corpus_bleu(summed), corpus);
}

TEST(CorpusBleu, EmptyHypothesisScoresZero) {
  const BleuStats s = bleu_stats("", "a b c");
  EXPECT_EQ(s.hypothesis_length, 0);
  EXPECT_EQ(s.reference_length, 3);
  EXPECT_EQ(corpus_bleu(s), 0.0);
  EXPECT_EQ(corpus_bleu(std::vector<std::string>{}, std::vector<std::string>{}), 0.0);
}

TEST(CorpusBleu, TrailingWhitespaceIsStrippedBeforeTokenizing) {
  // sacreBLEU strips the line first, so a final "-\n" keeps its '-'.
  expect_bleu(corpus_bleu({"a b c well-\n"}, {"a b c well-"}), 100.0);
}

TEST(CorpusBleu, MismatchedListsThrow) {
  EXPECT_THROW(corpus_bleu({"a"}, {"a", "b"}), std::invalid_argument);
}

}  // namespace
}  // namespace attnlab::train
