// Accuracy counting on hand-made predictions.
#include "train/evaluate.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnlab::train {
namespace {

TEST(CountCorrect, ExactMatchNeedsEosAndNothingAfterEosCounts) {
  // References: "a b" and "c" (ids 3 4 / 5), then <eos>.
  const data::Batch batch = data::make_batch({{{4, 3}, {3, 4}, 2}, {{5}, {5}, 1}});
  // Row 0: right, <eos> at the right place. Row 1: "c" then junk, no <eos>.
  const auto predictions = torch::tensor({{3, 4, 2, 7}, {5, 6, 6, 6}}, torch::kInt64);
  const Counts c = count_correct(predictions, batch);
  EXPECT_EQ(c.examples, 2);
  EXPECT_EQ(c.exact, 1);
  EXPECT_EQ(c.tokens, 3 + 2);
  EXPECT_EQ(c.correct_tokens, 3 + 1);
}

TEST(CountCorrect, EarlyEosMakesTheRestWrong) {
  const data::Batch batch = data::make_batch({{{3, 3, 3}, {3, 3, 3}, 3}});
  // Predicts <eos> first, then (ignored) the right tokens.
  const auto predictions = torch::tensor({{2, 3, 3, 2}}, torch::kInt64);
  const Counts c = count_correct(predictions, batch);
  EXPECT_EQ(c.exact, 0);
  EXPECT_EQ(c.correct_tokens, 0);
  EXPECT_EQ(c.tokens, 4);
}

TEST(CountCorrect, PredictionsShorterThanTheReferenceCountAsWrongAtTheEnd) {
  // Reference "a a a" <eos>; decoding stopped after two tokens.
  const data::Batch batch = data::make_batch({{{3, 3, 3}, {3, 3, 3}, 3}});
  const Counts c = count_correct(torch::tensor({{3, 3}}, torch::kInt64), batch);
  EXPECT_EQ(c.exact, 0);
  EXPECT_EQ(c.correct_tokens, 2);
  EXPECT_EQ(c.tokens, 4);
}

TEST(Count, EditDistanceAndBleuComeFromTheTokensBeforeEos) {
  // References "a b c" and "d"; predictions "a c" <eos> (one deletion) and
  // "d e e" with no <eos>, padded (two insertions).
  const std::vector<data::Example> examples = {{{3, 4, 5}, {3, 4, 5}, 3}, {{6}, {6}, 1}};
  const data::Batch batch = data::make_batch(examples);
  const auto predictions = torch::tensor({{3, 5, 2, 4}, {6, 7, 7, 0}}, torch::kInt64);
  const Counts c = count(predictions, batch, examples);
  EXPECT_EQ(c.edit_sums.examples, 2);
  EXPECT_EQ(c.edit_sums.edits, 1 + 2);
  EXPECT_EQ(c.edit_sums.reference, 3 + 1);
  // The sums an interval needs: e^2, e r and r^2 per example.
  EXPECT_EQ(c.edit_sums.edits_squared, 1 + 4);
  EXPECT_EQ(c.edit_sums.edits_by_reference, 1 * 3 + 2 * 1);
  EXPECT_EQ(c.edit_sums.reference_squared, 9 + 1);
  EXPECT_EQ(c.exact, 0);
  // BLEU counts the tokens themselves: hypothesis unigrams 2 + 3, of which
  // a, c and d match; bigrams 1 + 2, none matching.
  EXPECT_EQ(c.bleu.totals[0], 5);
  EXPECT_EQ(c.bleu.matches[0], 3);
  EXPECT_EQ(c.bleu.totals[1], 3);
  EXPECT_EQ(c.bleu.matches[1], 0);
  EXPECT_EQ(c.bleu.hypothesis_length, 5);
  EXPECT_EQ(c.bleu.reference_length, 4);
  // No reference has four tokens: BLEU is undefined, not 0.
  EXPECT_EQ(c.bleu.reference_4grams, 0);
  EXPECT_TRUE(std::isnan(c.scores().bleu));
}

TEST(Count, BleuOfCharacterTokensCountsTheCharactersNotWords) {
  // A character-level task renders "abcde" without spaces: as text it is one
  // word and holds no 4-gram; as the task's tokens it holds two.
  const std::vector<data::Example> examples = {{{3, 4, 5, 6, 7}, {3, 4, 5, 6, 7}, 5}};
  const data::Batch batch = data::make_batch(examples);
  const Counts c = count(torch::tensor({{3, 4, 5, 6, 7, 2}}, torch::kInt64), batch, examples);
  EXPECT_EQ(c.bleu.totals[3], 2);
  EXPECT_EQ(c.bleu.matches[3], 2);
  EXPECT_EQ(c.bleu.reference_4grams, 2);
  EXPECT_DOUBLE_EQ(c.scores().bleu, 100.0);
  EXPECT_EQ(bleu_stats("abcde", "abcde").totals[3], 0);
}

TEST(Count, AnyListedTargetIsRightAndErrorsCountAgainstTheClosest) {
  // "read": target "r iy d", alternative "r eh d" (ids 3 4 5 / 3 6 5). Row 0
  // predicts the alternative exactly; row 1 "r eh t" is one substitution
  // from the alternative, two from the target; row 2 predicts the target.
  const data::Example read{{7, 8, 9, 10}, {3, 4, 5}, 4, {{3, 6, 5}}};
  const std::vector<data::Example> examples = {read, read, read};
  const data::Batch batch = data::make_batch(examples);
  const auto predictions =
      torch::tensor({{3, 6, 5, 2}, {3, 6, 11, 2}, {3, 4, 5, 2}}, torch::kInt64);
  const Counts c = count(predictions, batch, examples);
  EXPECT_EQ(c.exact, 2);
  EXPECT_EQ(c.outcomes, "101");
  EXPECT_EQ(c.edit_sums.edits, 0 + 1 + 0);
  EXPECT_EQ(c.edit_sums.reference, 9);
  EXPECT_EQ(c.tokens, 12);
  EXPECT_EQ(c.correct_tokens, 4 + 3 + 4);
  // Without the alternative, rows 0 and 1 are wrong against the target.
  std::vector<data::Example> single = examples;
  for (auto& e : single)
    e.alternatives.clear();
  const Counts one = count(predictions, batch, single);
  EXPECT_EQ(one.exact, 1);
  EXPECT_EQ(one.edit_sums.edits, 1 + 2 + 0);
  EXPECT_EQ(one.correct_tokens, 3 + 2 + 4);
}

TEST(CountAlignment, LinksEachStepToItsStrongestWeightAndScoresAerAgainstSureAndPossible) {
  // Two examples, three steps (the last <eos>, not linked), three source positions.
  const auto weights =
      torch::tensor({{{0.7f, 0.2f, 0.1f}, {0.1f, 0.3f, 0.6f}, {1.0f, 0.0f, 0.0f}},
                     {{0.2f, 0.5f, 0.3f}, {0.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 0.0f}}});
  // Row 0 links 0, 2; row 1 links 1 (of a one-token target: its <eos> is step 2).
  const std::vector<std::vector<std::vector<int>>> gold = {{{0}, {1, 2}}, {{2}}};
  const Counts c = count_alignment(weights, gold);
  EXPECT_EQ(c.aligned_steps, 3);
  EXPECT_EQ(c.sure_links, 1);  // row 0 step 0
  EXPECT_EQ(c.gold_links, 2);  // and row 0 step 1, on a possible position
  const auto s = c.scores();
  EXPECT_NEAR(s.aer, 1 - (1 + 2) / 6.0, 1e-12);  // 1 - (|A&S| + |A&P|) / (|A| + |S|)
  EXPECT_NEAR(s.alignment_accuracy, 2 / 3.0, 1e-12);
  // Nothing linked: not measured.
  EXPECT_TRUE(std::isnan(Counts{}.scores().aer));
  EXPECT_TRUE(std::isnan(Counts{}.scores().alignment_accuracy));
  Counts twice = c;
  twice += c;
  EXPECT_NEAR(twice.scores().aer, s.aer, 1e-12);
}

TEST(Counts, ScoresStayInRangeAndAddUp) {
  // A perfect match: sacreBLEU's own arithmetic gives 100.00000000000004
  // (exp of the mean of four log(100)s); the stored score is at most 100.
  Counts c;
  c.examples = 2;
  c.exact = 1;
  c.tokens = 8;
  c.correct_tokens = 6;
  c.edit_sums.add(0, 1);
  c.edit_sums.add(1, 3);
  c.bleu = bleu_stats("2024 - 01 - 05 x", "2024 - 01 - 05 x");
  ASSERT_GT(corpus_bleu(c.bleu), 100.0);
  store::Scores s = c.scores();
  EXPECT_EQ(s.bleu, 100.0);
  EXPECT_EQ(s.n, 2);
  EXPECT_DOUBLE_EQ(s.sequence_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(s.token_accuracy, 0.75);
  EXPECT_DOUBLE_EQ(s.error_rate, 0.25);
  Counts sum = c;
  sum += c;
  EXPECT_EQ(sum.scores().n, 4);
  EXPECT_DOUBLE_EQ(sum.scores().error_rate, 0.25);
  EXPECT_EQ(sum.edit_sums.examples, 4);
  EXPECT_EQ(sum.edit_sums.edits_by_reference, 2 * 3);
  EXPECT_EQ(sum.edit_sums.reference_squared, 2 * (1 + 9));
}

}  // namespace
}  // namespace attnlab::train
