// Accuracy counting on hand-made predictions.
#include "train/evaluate.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace attnlab::train
