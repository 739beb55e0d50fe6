// Claims parsed from YAML and checked against a synthetic results table whose
// numbers are worked out by hand in each test.
#include "report/claims.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace attnlab::report {
namespace {

using Verdict = ClaimOutcome::Verdict;

// One length bucket. The other metrics follow from the exact match so that
// a test can pick any of them: token accuracy (1 + seq) / 2, error rate
// 1 - seq, BLEU 100 * seq. Its outcomes: the first n * seq examples right.
store::LengthEval bucket(int length, int n, double seq) {
  store::LengthEval e;
  e.length = length;
  e.n = n;
  e.sequence_accuracy = seq;
  const auto right = static_cast<size_t>(std::lround(n * seq));
  e.outcomes = std::string(right, '1') + std::string(static_cast<size_t>(n) - right, '0');
  e.token_accuracy = (1 + seq) / 2;
  e.error_rate = 1 - seq;
  e.bleu = 100 * seq;
  return e;
}

RunResult make_run(const std::string& attention, int seed, std::array<int, 2> train,
                   std::vector<store::LengthEval> evals) {
  RunResult run;
  run.run_id = attention + "-" + std::to_string(seed);
  run.params = {{"attention.name", attention},
                {"model.hidden_size", "64"},
                {"seed", std::to_string(seed)},
                {"task.train_lengths",
                 "[" + std::to_string(train[0]) + ", " + std::to_string(train[1]) + "]"}};
  run.train_lengths = train;
  run.evals = std::move(evals);
  return run;
}

std::vector<ClaimOutcome> check(const std::string& yaml, const std::vector<RunResult>& runs) {
  return evaluate_claims(parse_claims(YAML::Load(yaml), "exp.yaml"), runs);
}

ClaimOutcome check_one(const std::string& yaml, const std::vector<RunResult>& runs) {
  const auto outcomes = check(yaml, runs);
  EXPECT_EQ(outcomes.size(), 1u);
  return outcomes.empty() ? ClaimOutcome{} : outcomes.front();
}

// Two additive seeds trained on lengths 1..3 and evaluated on 1..5.
//   seed 1 train: (100*1.0 + 100*0.9 + 200*0.8) / 400 = 0.875, beyond (50 + 30) / 200 = 0.4
//   seed 2 train: (100*1.0 + 100*1.0 + 200*0.91) / 400 = 0.955, beyond (70 + 50) / 200 = 0.6
//   group train: (0.875 + 0.955) / 2 = 0.915, beyond (0.4 + 0.6) / 2 = 0.5
std::vector<RunResult> additive_seeds() {
  return {make_run("additive", 1, {1, 3},
                   {bucket(1, 100, 1.0), bucket(2, 100, 0.9), bucket(3, 200, 0.8),
                    bucket(4, 100, 0.5), bucket(5, 100, 0.3)}),
          make_run("additive", 2, {1, 3},
                   {bucket(1, 100, 1.0), bucket(2, 100, 1.0), bucket(3, 200, 0.91),
                    bucket(4, 100, 0.7), bucket(5, 100, 0.5)})};
}

// One run per attention, one evaluated length each, two seeds for none.
std::vector<RunResult> attention_table() {
  return {make_run("none", 1, {1, 3}, {bucket(3, 100, 0.1)}),
          make_run("none", 2, {1, 3}, {bucket(3, 100, 0.3)}),
          make_run("dot", 1, {1, 3}, {bucket(3, 100, 0.6)}),
          make_run("additive", 1, {1, 3}, {bucket(3, 100, 0.9)})};
}

// The claim `yaml` with MARGIN replaced by `margin`, checked on attention_table().
ClaimOutcome check_with_margin(std::string yaml, const std::string& margin) {
  yaml.replace(yaml.find("MARGIN"), 6, margin);
  return check_one(yaml, attention_table());
}

std::string parse_error(const std::string& yaml) {
  try {
    parse_claims(YAML::Load(yaml)["claims"], "exp.yaml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ClaimsTest, AGroupIsTheMeanOverSeedsOfWeightedMeansWithItsInterval) {
  const auto outcome = check_one(R"(
- text: additive learns the training lengths
  where: {attention.name: additive}
  lengths: train
  at_least: 0.9
)",
                                 additive_seeds());
  EXPECT_EQ(outcome.text, "additive learns the training lengths");
  ASSERT_EQ(outcome.groups.size(), 1u);
  EXPECT_EQ(outcome.groups[0].runs, 2);
  EXPECT_NEAR(outcome.groups[0].value, (0.875 + 0.955) / 2, 1e-12);
  // Two seeds 0.08 apart: se 0.04, t(1) = 12.706, so 0.915 +- 0.508, cut at 1.
  EXPECT_EQ(outcome.groups[0].interval.basis, Interval::Basis::kSeeds);
  EXPECT_NEAR(outcome.groups[0].interval.lo, 0.915 - 12.7062047 * 0.04, 1e-6);
  EXPECT_DOUBLE_EQ(outcome.groups[0].interval.hi, 1.0);
  // Two seeds cannot show that the mean clears 0.9: inconclusive, not pass.
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);
  EXPECT_EQ(outcome.detail, "additive: 0.915 [0.407, 1.000] (2 runs) straddles 0.900");
  EXPECT_TRUE(outcome.others.empty());
  EXPECT_FALSE(outcome.weakest);
}

// Five seeds close together, 1000 test examples each: a tight interval.
//   0.90, 0.91, 0.89, 0.90, 0.90: mean 0.9, s = 0.00707, se = 0.00316; the
//   examples' floor, sqrt(0.9 * 0.1 * 5 / 1000 / 25) = 0.00424, is larger.
std::vector<RunResult> five_close_seeds() {
  std::vector<RunResult> runs;
  const double values[] = {0.90, 0.91, 0.89, 0.90, 0.90};
  for (int seed = 1; seed <= 5; ++seed)
    runs.push_back(make_run("additive", seed, {1, 3}, {bucket(3, 1000, values[seed - 1])}));
  return runs;
}

TEST(ClaimsTest, AThresholdPassesFailsOrIsInconclusiveByItsInterval) {
  const auto with_bound = [](const std::string& relation, const std::string& bound) {
    return check_one(
        "- {text: t, where: {attention.name: additive}, " + relation + ": " + bound + "}",
        five_close_seeds());
  };
  // p~ = 4502 / 5004, se = sqrt(p~ (1 - p~) * 5 / 1000 / 25), half t(4) * se.
  const double p = 4502.0 / 5004.0;
  const double half = 2.77644511 * std::sqrt(p * (1 - p) * 0.005 / 25);
  auto outcome = with_bound("at_least", "0.85");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_NEAR(outcome.groups[0].interval.lo, 0.9 - half, 1e-9);
  EXPECT_NEAR(outcome.groups[0].interval.hi, 0.9 + half, 1e-9);
  EXPECT_EQ(outcome.detail, "additive: 0.900 [0.888, 0.912] (5 runs) >= 0.850");
  outcome = with_bound("at_least", "0.95");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, "additive: 0.900 [0.888, 0.912] (5 runs) < 0.950");
  outcome = with_bound("at_least", "0.9");
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);
  EXPECT_EQ(outcome.detail, "additive: 0.900 [0.888, 0.912] (5 runs) straddles 0.900");
  outcome = with_bound("at_most", "0.95");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail, "additive: 0.900 [0.888, 0.912] (5 runs) <= 0.950");
  outcome = with_bound("at_most", "0.85");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, "additive: 0.900 [0.888, 0.912] (5 runs) > 0.850");
}

TEST(ClaimsTest, OtherMetricsHaveTheIntervalOfTheirRunsAlone) {
  // Error rate beyond training: seed 1 (0.5 + 0.7) / 2 = 0.6, seed 2 (0.3 + 0.5) / 2 = 0.4;
  // mean 0.5, se 0.1, t(1) 12.706: no floor from examples for this metric.
  auto outcome = check_one(R"(
- text: additive errs on at most 60 % of the tokens beyond training
  where: {attention.name: additive}
  metric: error_rate
  lengths: beyond
  at_most: 0.6
)",
                           additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);
  EXPECT_NEAR(outcome.groups[0].value, 0.5, 1e-12);
  EXPECT_EQ(outcome.detail, "additive: 0.500 [0.000, 1.771] (2 runs) straddles 0.600");

  // Token accuracy, train: seed 1 (100*1 + 100*0.95 + 200*0.9) / 400 = 0.9375,
  // seed 2 (100*1 + 100*1 + 200*0.955) / 400 = 0.9775; mean 0.9575.
  outcome = check_one(R"(
- text: tokens
  where: {attention.name: additive}
  metric: token_accuracy
  lengths: train
  at_least: 0.5
)",
                      additive_seeds());
  EXPECT_NEAR(outcome.groups[0].value, 0.9575, 1e-12);
  EXPECT_NEAR(outcome.groups[0].interval.lo, 0.9575 - 12.7062047 * 0.02, 1e-6);
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
}

// A bucket of 100 examples at error rate 0.1: 50 with 4 reference tokens and
// no edit, 50 with 6 tokens and one edit each.
store::LengthEval with_edit_sums(int length) {
  store::LengthEval e = bucket(length, 100, 0.5);
  e.error_rate = 0.1;
  for (int i = 0; i < 50; ++i) {
    e.edit_sums.add(0, 4);
    e.edit_sums.add(1, 6);
  }
  return e;
}

TEST(ClaimsTest, ErrorRateHasAnIntervalFromItsEditSums) {
  // sum (e - 0.1 r)^2 = 50 - 2 * 0.1 * 300 + 0.01 * 2600 = 16; the ratio
  // estimator's variance 100 / 99 * 16 / 500^2 = 6.4646e-5, se 0.0080403,
  // +- 1.959964 se = 0.015759 for one run.
  const std::string yaml = R"(
- text: at most 12 % of the tokens wrong
  where: {attention.name: additive}
  metric: error_rate
  at_most: 0.12
)";
  const auto one = make_run("additive", 1, {1, 3}, {with_edit_sums(3)});
  auto outcome = check_one(yaml, {one});
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_NEAR(outcome.groups[0].interval.lo, 0.1 - 0.015759, 1e-6);
  EXPECT_NEAR(outcome.groups[0].interval.hi, 0.1 + 0.015759, 1e-6);
  EXPECT_EQ(outcome.detail, "additive: 0.100 [0.084, 0.116] (1 run; test examples only) <= 0.120");

  // Two seeds that agree exactly: no spread, but never narrower than their
  // examples allow, 2 * 6.4646e-5 / 4 = 3.2323e-5, se 0.0056854, t(1) 12.706.
  const auto two = make_run("additive", 2, {1, 3}, {with_edit_sums(3)});
  outcome = check_one(yaml, {one, two});
  EXPECT_NEAR(outcome.groups[0].interval.hi, 0.1 + 12.7062047 * 0.0056854, 1e-5);
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);

  // A bucket without its sums (a run stored before they were) leaves the run without an interval.
  auto partial = one;
  partial.evals.push_back(bucket(4, 100, 0.5));
  outcome = check_one(yaml, {partial});
  EXPECT_EQ(outcome.groups[0].interval.basis, Interval::Basis::kNone);
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);

  // Over the whole test split, the sums must cover the split's examples.
  auto with_split = one;
  store::SplitScores test;
  test.split = "test";
  test.n = 100;
  test.error_rate = 0.1;
  with_split.splits = {test};
  std::string all = yaml + "  lengths: all\n";
  EXPECT_EQ(check_one(all, {with_split}).verdict, Verdict::kPass);
  with_split.splits[0].n = 120;
  EXPECT_EQ(check_one(all, {with_split}).groups[0].interval.basis, Interval::Basis::kNone);
}

TEST(ClaimsTest, AlignmentMetricsLeaveOutRunsThatDidNotMeasureThem) {
  // AER where measured: seed 1 length 1 0.1, length 2 0.3 (100 examples each)
  // = 0.2; seed 2 length 1 0.3, length 2 unmeasured = 0.3; a third run
  // without any gold alignment is left out. Mean 0.25, se 0.05, t(1) 12.706.
  auto runs = additive_seeds();
  runs[0].evals[0].aer = 0.1;
  runs[0].evals[1].aer = 0.3;
  runs[1].evals[0].aer = 0.3;
  runs[0].evals[0].alignment_accuracy = 0.9;
  runs.push_back(make_run("additive", 3, {1, 3}, {bucket(1, 100, 1.0)}));
  auto outcome = check_one(R"(
- text: additive aligns well
  where: {attention.name: additive}
  metric: aer
  lengths: train
  at_most: 0.9
)",
                           runs);
  ASSERT_EQ(outcome.groups.size(), 1u);
  EXPECT_NEAR(outcome.groups[0].value, 0.25, 1e-12);
  EXPECT_EQ(outcome.detail, "additive: 0.250 [0.000, 0.885] (2 of 3 runs) <= 0.900");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  outcome = check_one(R"(
- text: on gold
  where: {attention.name: additive}
  metric: alignment_accuracy
  at_least: 0.5
)",
                      runs);
  ASSERT_EQ(outcome.groups.size(), 1u);
  EXPECT_NEAR(outcome.groups[0].value, 0.9, 1e-12);  // seed 1 alone measured it
  EXPECT_THROW(check_one("- {text: t, where: {seed: 1}, metric: aer, at_most: 2}", runs),
               std::invalid_argument);
}

TEST(ClaimsTest, LengthSelectionsFollowEachRunsOwnTrainingRange) {
  // Run A trains on 1..2, run B on 1..3; both in the group 'dot'.
  const std::vector<RunResult> runs = {
      make_run("dot", 1, {1, 2},
               {bucket(1, 10, 1.0), bucket(2, 30, 0.6), bucket(3, 10, 0.2), bucket(4, 10, 0.0)}),
      make_run("dot", 2, {1, 3},
               {bucket(1, 10, 1.0), bucket(2, 10, 0.8), bucket(3, 20, 0.4), bucket(4, 20, 0.1)})};
  auto value = [&](const std::string& lengths) {
    const auto outcome = check_one(
        "- {text: t, where: {attention.name: dot}, lengths: " + lengths + ", at_least: 0}", runs);
    EXPECT_EQ(outcome.verdict, Verdict::kPass) << lengths;
    EXPECT_EQ(outcome.groups.at(0).runs, 2) << lengths;
    return outcome.groups.at(0).value;
  };
  const double a_train = (10 * 1.0 + 30 * 0.6) / 40,
               b_train = (10 * 1.0 + 10 * 0.8 + 20 * 0.4) / 40;
  EXPECT_NEAR(value("train"), (a_train + b_train) / 2, 1e-12);
  const double a_beyond = (10 * 0.2 + 10 * 0.0) / 20, b_beyond = 0.1;
  EXPECT_NEAR(value("beyond"), (a_beyond + b_beyond) / 2, 1e-12);
  EXPECT_NEAR(value("longest_train"), (0.6 + 0.4) / 2, 1e-12);
  const double a_range = (30 * 0.6 + 10 * 0.2) / 40, b_range = (10 * 0.8 + 20 * 0.4) / 30;
  EXPECT_NEAR(value("[2, 3]"), (a_range + b_range) / 2, 1e-12);
  const double a_all = (10 * 1.0 + 30 * 0.6 + 10 * 0.2 + 0) / 60,
               b_all = (10 * 1.0 + 10 * 0.8 + 20 * 0.4 + 20 * 0.1) / 60;
  EXPECT_NEAR(value("all"), (a_all + b_all) / 2, 1e-12);
  // Default: all.
  const auto outcome = check_one("- {text: t, where: {attention.name: dot}, at_least: 0}", runs);
  EXPECT_NEAR(outcome.groups.at(0).value, (a_all + b_all) / 2, 1e-12);
}

TEST(ClaimsTest, LengthsAllUsesTheTestSplitWhenARunHasOne) {
  auto with_split = make_run("dot", 1, {1, 3}, {bucket(1, 10, 0.5), bucket(2, 10, 0.7)});
  store::SplitScores dev;
  dev.split = "dev";
  dev.n = 20;
  dev.bleu = 10;
  store::SplitScores test;
  test.split = "test";
  test.n = 20;
  test.bleu = 61.25;  // corpus BLEU, not the mean of the buckets' 50 and 70
  with_split.splits = {dev, test};
  const auto without_split = make_run("dot", 2, {1, 3}, {bucket(1, 10, 0.5), bucket(2, 30, 0.7)});
  const std::string claim = R"(
- text: dot's BLEU over the test set
  where: {attention.name: dot}
  metric: bleu
  lengths: LENGTHS
  at_least: 60
)";
  auto with_lengths = [&](const std::string& lengths) {
    std::string yaml = claim;
    yaml.replace(yaml.find("LENGTHS"), 7, lengths);
    return yaml;
  };

  // One run and a metric without per-example outcomes: no interval, no verdict.
  auto outcome = check_one(with_lengths("all"), {with_split});
  EXPECT_EQ(outcome.detail, "dot: 61.250 (1 run; no interval) undecided (no interval) vs 60.000");
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);
  // Without a split: (10*50 + 30*70) / 40 = 65.
  outcome = check_one(with_lengths("all"), {without_split});
  EXPECT_NEAR(outcome.groups[0].value, 65, 1e-12);
  // Two runs: 63.125 +- 12.706 * 1.875.
  outcome = check_one(with_lengths("all"), {with_split, without_split});
  EXPECT_EQ(outcome.detail, "dot: 63.125 [39.301, 86.949] (2 runs) straddles 60.000");
  // Any other selection reads the buckets: (10*50 + 10*70) / 20 = 60.
  outcome = check_one(with_lengths("train"), {with_split});
  EXPECT_NEAR(outcome.groups[0].value, 60, 1e-12);
}

TEST(ClaimsTest, BelowHoldsOnlyWhenEveryPairClearsTheMargin) {
  // none: seeds 1 and 2 at 0.1 and 0.3; dot 0.6 and additive 0.9, seed 1
  // only. Pairs are made on the seeds both sides have (seed 1), example by
  // example: dot - none = 0.5, its 100 examples giving +-0.1.
  const std::string yaml = R"(
- text: none trails every attention
  where: {attention.name: none}
  lengths: [3, 3]
  below: {attention.name: [dot, additive]}
  by_at_least: MARGIN
)";
  const auto with_margin = [&](const std::string& margin) {
    return check_with_margin(yaml, margin);
  };
  const std::string groups =
      "none: 0.200 [0.000, 1.000] (2 runs) vs dot: 0.600 [0.504, 0.696] (1 run; test examples "
      "only); additive: 0.900 [0.837, 0.963] (1 run; test examples only); ";
  auto outcome = with_margin("0.3");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail, groups + "weakest: dot - none = 0.500 [0.400, 0.600] >= 0.300");
  ASSERT_TRUE(outcome.weakest);
  EXPECT_NEAR(outcome.weakest->difference.estimate, 0.5, 1e-12);
  ASSERT_EQ(outcome.pairs.size(), 2u);
  EXPECT_EQ(outcome.pairs[1].label, "additive - none");
  EXPECT_NEAR(outcome.pairs[1].difference.estimate, 0.8, 1e-12);
  ASSERT_EQ(outcome.others.size(), 2u);
  EXPECT_EQ(outcome.others[1].label, "additive");
  EXPECT_NEAR(outcome.others[1].value, 0.9, 1e-12);

  outcome = with_margin("0.5");
  EXPECT_EQ(outcome.verdict, Verdict::kInconclusive);
  EXPECT_EQ(outcome.detail, groups + "weakest: dot - none = 0.500 [0.400, 0.600] straddles 0.500");
  // additive - none = 0.8 clears 0.65, dot - none = 0.5 lies wholly below it.
  outcome = with_margin("0.65");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, groups + "weakest: dot - none = 0.500 [0.400, 0.600] < 0.650");
}

TEST(ClaimsTest, AboveComparesEveryWhereGroupWithEveryOtherGroup) {
  const std::string yaml = R"(
- text: attention beats none
  where: {attention.name: [dot, additive]}
  above: {attention.name: none}
  by_at_least: MARGIN
)";
  const auto with_margin = [&](const std::string& margin) {
    return check_with_margin(yaml, margin);
  };
  auto outcome = with_margin("0.35");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail,
            "dot: 0.600 [0.504, 0.696] (1 run; test examples only); additive: 0.900 [0.837, "
            "0.963] (1 run; test examples only) vs none: 0.200 [0.000, 1.000] (2 runs); "
            "weakest: dot - none = 0.500 [0.400, 0.600] >= 0.350");
  EXPECT_EQ(with_margin("0.45").verdict, Verdict::kInconclusive);
  outcome = with_margin("0.7");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_NEAR(outcome.weakest->difference.estimate, 0.5, 1e-12);

  // Without a margin the groups only have to be ordered: additive above dot
  // (30 examples apart, none the other way).
  outcome =
      check_one("- {text: t, where: {attention.name: additive}, above: {attention.name: dot}}",
                attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  outcome =
      check_one("- {text: t, where: {attention.name: dot}, above: {attention.name: additive}}",
                attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_NEAR(outcome.weakest->difference.estimate, -0.3, 1e-12);
}

TEST(ClaimsTest, ASettingIsComparedWithItselfOnOtherLengthsRunByRun) {
  // Five seeds trained on 1-3: about 0.95 there and 0.5 beyond, 500 examples each.
  std::vector<RunResult> runs;
  const double train[] = {0.95, 0.94, 0.96, 0.95, 0.95}, beyond[] = {0.50, 0.46, 0.52, 0.48, 0.54};
  for (int seed = 1; seed <= 5; ++seed) {
    runs.push_back(make_run("additive", seed, {1, 3},
                            {bucket(2, 500, train[seed - 1]), bucket(5, 500, beyond[seed - 1])}));
  }
  const auto outcome = check_one(R"(
- text: additive loses at least 30 points beyond its training lengths
  where: {attention.name: additive}
  lengths: beyond
  below: {attention.name: additive, lengths: train}
  by_at_least: 0.3
)",
                                 runs);
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_NEAR(outcome.groups[0].value, 0.5, 1e-12);
  EXPECT_NEAR(outcome.others[0].value, 0.95, 1e-12);
  ASSERT_TRUE(outcome.weakest);
  EXPECT_EQ(outcome.weakest->label, "additive - additive");
  EXPECT_NEAR(outcome.weakest->difference.estimate, 0.45, 1e-12);
  // Differences 0.45, 0.48, 0.44, 0.47, 0.41 (s = 0.0270), or the two
  // sides' examples, whichever is larger, over 4 degrees of freedom.
  EXPECT_GT(outcome.weakest->difference.lo, 0.40);
  EXPECT_LT(outcome.weakest->difference.hi, 0.50);

  // `lengths` alone: each group against itself. A second setting whose
  // beyond-lengths score is as high as additive's training one shows that
  // groups are not crossed (additive's train vs dot's beyond would fail).
  for (int seed = 1; seed <= 5; ++seed) {
    runs.push_back(make_run("dot", seed, {1, 3},
                            {bucket(2, 500, 0.99 - 0.01 * (seed % 2)), bucket(5, 500, 0.90)}));
  }
  const auto each = check_one(R"(
- text: every score loses at least 5 points beyond its training lengths
  where: {attention.name: [additive, dot]}
  lengths: beyond
  below: {lengths: train}
  by_at_least: 0.05
)",
                              runs);
  EXPECT_EQ(each.verdict, Verdict::kPass) << each.detail;
  ASSERT_EQ(each.pairs.size(), 2u);
  EXPECT_EQ(each.pairs[0].label, "additive: the training lengths - the lengths beyond training");
  EXPECT_EQ(each.pairs[1].label, "dot: the training lengths - the lengths beyond training");
  EXPECT_NEAR(each.pairs[1].difference.estimate, 0.084, 1e-12);
  EXPECT_NE(each.detail.find(" vs on the training lengths, additive: 0.950"), std::string::npos)
      << each.detail;
}

TEST(ClaimsTest, GroupsWithoutCommonSeedsAreComparedByWelch) {
  std::vector<RunResult> runs = {make_run("none", 1, {1, 3}, {bucket(3, 100, 0.1)}),
                                 make_run("none", 2, {1, 3}, {bucket(3, 100, 0.3)}),
                                 make_run("dot", 3, {1, 3}, {bucket(3, 100, 0.8)}),
                                 make_run("dot", 4, {1, 3}, {bucket(3, 100, 0.9)})};
  const auto outcome =
      check_one("- {text: t, where: {attention.name: none}, below: {attention.name: dot}}", runs);
  ASSERT_TRUE(outcome.weakest);
  const Interval& d = outcome.weakest->difference;
  EXPECT_NEAR(d.estimate, 0.65, 1e-12);
  // Each side's spread (se 0.1 and 0.05) sets Welch's degrees of freedom.
  const double va = 0.01, vb = 0.0025;
  const double df = (va + vb) * (va + vb) / (va * va + vb * vb);
  EXPECT_NEAR(d.hi - d.estimate, student_t_quantile(0.975, df) * std::sqrt(va + vb), 1e-9);
}

TEST(ClaimsTest, ListValuesMakeOneGroupEach) {
  auto outcome = check_one(R"(
- text: attention reaches 70 %
  where: {attention.name: [dot, additive], model.hidden_size: 64}
  at_least: 0.7
)",
                           attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  ASSERT_EQ(outcome.groups.size(), 2u);
  EXPECT_EQ(outcome.groups[0].label, "dot");
  EXPECT_EQ(outcome.groups[1].label, "additive");
  EXPECT_EQ(outcome.detail,
            "dot: 0.600 [0.504, 0.696] (1 run; test examples only) < 0.700; additive: 0.900 "
            "[0.837, 0.963] (1 run; test examples only) >= 0.700");

  // Several listed keys: the Cartesian product, the last key fastest, labelled by key.
  outcome =
      check_one("- {text: t, where: {attention.name: [none, dot], seed: [1, 2]}, at_least: 0}",
                attention_table());
  ASSERT_EQ(outcome.groups.size(), 4u);
  EXPECT_EQ(outcome.groups[0].label, "attention.name=none seed=1");
  EXPECT_EQ(outcome.groups[1].label, "attention.name=none seed=2");
  EXPECT_NEAR(outcome.groups[1].value, 0.3, 1e-12);
  EXPECT_EQ(outcome.groups[2].label, "attention.name=dot seed=1");
  EXPECT_EQ(outcome.groups[3].label, "attention.name=dot seed=2");
  EXPECT_EQ(outcome.groups[3].matched, 0);
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);

  // Single values for several keys: every value in the label.
  outcome = check_one("- {text: t, where: {attention.name: dot, seed: 1}, at_least: 0}",
                      attention_table());
  EXPECT_EQ(outcome.detail,
            "attention.name=dot seed=1: 0.600 [0.504, 0.696] (1 run; test examples only) >= "
            "0.000");
}

TEST(ClaimsTest, ValuesMatchAsNumbersAndAsFlowLists) {
  auto outcome = check_one(
      "- {text: t, where: {model.hidden_size: 64.0, seed: '01'}, lengths: [3, 3], at_least: 0}",
      attention_table());
  EXPECT_EQ(outcome.groups.at(0).runs, 3);  // seed 1 of none, dot and additive
  outcome = check_one("- {text: t, where: {task.train_lengths: '[1,3]'}, at_least: 0}",
                      attention_table());
  EXPECT_EQ(outcome.groups.at(0).runs, 4);
  outcome = check_one("- {text: t, where: {attention.name: Dot}, at_least: 0}", attention_table());
  EXPECT_EQ(outcome.groups.at(0).matched, 0);
}

TEST(ClaimsTest, NoDataWhenAGroupHasNoRunsOrNoSelectedLengths) {
  auto outcome =
      check_one("- {text: t, where: {attention.name: general}, at_least: 0.5}", attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);
  EXPECT_EQ(outcome.detail, "general: no runs");

  // Every run is evaluated at length 3 only, its longest training length.
  outcome = check_one("- {text: t, where: {attention.name: dot}, lengths: beyond, at_least: 0.5}",
                      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);
  EXPECT_EQ(outcome.detail, "dot: no evaluated lengths beyond training (1 run)");
  outcome = check_one("- {text: t, where: {attention.name: none}, lengths: [5, 9], at_least: 0.5}",
                      attention_table());
  EXPECT_EQ(outcome.detail, "none: no evaluated lengths in [5, 9] (2 runs)");

  // A setting no run has is named: it is probably misspelt.
  outcome = check_one("- {text: t, where: {attention: dot}, at_least: 0.5}", attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);
  EXPECT_EQ(outcome.detail, "dot: no runs; no run has the setting attention");

  // No runs at all.
  outcome = check_one("- {text: t, where: {attention.name: dot}, at_least: 0.5}", {});
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);

  // A comparison with a side missing has no data ...
  outcome = check_one(
      "- {text: t, where: {attention.name: none}, below: {attention.name: [dot, general]}}",
      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kNoData);
  EXPECT_EQ(outcome.detail,
            "none: 0.200 [0.000, 1.000] (2 runs) vs dot: 0.600 [0.504, 0.696] (1 run; test "
            "examples only); general: no runs; weakest: dot - none = 0.500 [0.400, 0.600] >= "
            "0.000");
  // ... unless a pair with data already fails it; a threshold likewise.
  outcome = check_one(
      "- {text: t, where: {attention.name: none}, above: {attention.name: [dot, general]}}",
      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  outcome = check_one("- {text: t, where: {attention.name: [dot, general]}, at_least: 0.8}",
                      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail,
            "dot: 0.600 [0.504, 0.696] (1 run; test examples only) < 0.800; general: no runs");
}

TEST(ClaimsTest, RunsWithoutSelectedLengthsAreLeftOutOfTheMean) {
  auto runs = attention_table();
  runs.push_back(make_run("dot", 2, {1, 3}, {bucket(2, 100, 1.0)}));
  const auto outcome = check_one(
      "- {text: t, where: {attention.name: dot}, lengths: longest_train, at_least: 0.5}", runs);
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail, "dot: 0.600 [0.504, 0.696] (1 of 2 runs; test examples only) >= 0.500");
}

TEST(ClaimsTest, ParsesEveryKey) {
  const auto claims = parse_claims(YAML::Load(R"(claims:
  - text: a threshold
    where: {attention.name: additive}
    at_least: 0.95
  - text: a comparison
    where: {attention.name: none, model.hidden_size: [32, 64]}
    metric: bleu
    lengths: [13, 15]
    below: {attention.name: [dot, additive]}
    by_at_least: 30
)")["claims"],
                                   "exp.yaml");
  ASSERT_EQ(claims.size(), 2u);
  EXPECT_EQ(claims[0].text, "a threshold");
  EXPECT_EQ(claims[0].position, "exp.yaml:2");
  EXPECT_EQ(claims[0].metric, Metric::kSequenceAccuracy);
  EXPECT_EQ(claims[0].lengths.kind, LengthSelection::Kind::kAll);
  EXPECT_EQ(claims[0].relation, Relation::kAtLeast);
  EXPECT_DOUBLE_EQ(claims[0].threshold, 0.95);
  const Claim& c = claims[1];
  EXPECT_EQ(c.position, "exp.yaml:5");
  ASSERT_EQ(c.where.size(), 2u);
  EXPECT_EQ(c.where[1].key, "model.hidden_size");
  EXPECT_EQ(c.where[1].values, (std::vector<std::string>{"32", "64"}));
  EXPECT_EQ(c.metric, Metric::kBleu);
  EXPECT_EQ(c.lengths.kind, LengthSelection::Kind::kRange);
  EXPECT_EQ(c.lengths.lo, 13);
  EXPECT_EQ(c.lengths.hi, 15);
  EXPECT_EQ(c.relation, Relation::kBelow);
  ASSERT_EQ(c.others.size(), 1u);
  EXPECT_EQ(c.others[0].values, (std::vector<std::string>{"dot", "additive"}));
  EXPECT_DOUBLE_EQ(c.margin, 30);

  EXPECT_TRUE(parse_claims(YAML::Load("sweep: {}")["claims"], "exp.yaml").empty());
  EXPECT_TRUE(parse_claims(YAML::Load("claims:")["claims"], "exp.yaml").empty());
}

TEST(ClaimsTest, ParseErrorsNamePositionKeyAndWhatIsValid) {
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    metrc: bleu
    at_least: 0.5
)"),
            "exp.yaml:4:5: claims[0]: unknown key 'metrc'; valid: text, where, metric, lengths, "
            "at_least, at_most, below, above, by_at_least");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    at_least: 0.5
  - text: u
    where: {attention.name: dot}
    metric: accuracy
    at_least: 0.5
)"),
            "exp.yaml:7:13: claims[1].metric: 'accuracy' is not a metric; valid: "
            "token_accuracy, sequence_accuracy, error_rate, bleu, perplexity, aer, "
            "alignment_accuracy");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    at_least: 0.5
    below: {attention.name: none}
)"),
            "exp.yaml:5:5: claims[0]: has both 'at_least' and 'below'; give exactly one of "
            "at_least, at_most, below, above");
  EXPECT_EQ(parse_error(R"(claims:
  - where: {attention.name: dot}
    at_least: 0.5
)"),
            "exp.yaml:2:5: claims[0]: missing 'text' (the statement the report shows)");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    lengths: longest
    at_least: 0.5
)"),
            "exp.yaml:4:14: claims[0].lengths: 'longest' is not a length selection; valid: all, "
            "train, beyond, longest_train, [lo, hi]");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    lengths: [15, 13]
    at_least: 0.5
)"),
            "exp.yaml:4:14: claims[0].lengths: [15, 13] is not a range; need 0 <= lo <= hi");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    lengths: [1, 2, 3]
    at_least: 0.5
)"),
            "exp.yaml:4:14: claims[0].lengths: must be a name or a list of two lengths; valid: "
            "all, train, beyond, longest_train, [lo, hi]");
  EXPECT_EQ(parse_error(R"(claims:
  - text: t
    where: {attention.name: dot}
    lengths: [1, x]
    at_least: 0.5
)"),
            "exp.yaml:4:18: claims[0].lengths: 'x' is not a whole number; valid: all, train, "
            "beyond, longest_train, [lo, hi]");
}

TEST(ClaimsTest, ParseErrorsOnComparisonsSelectorsAndUnits) {
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {attention.name: dot}}\n"),
            "exp.yaml:2:5: claims[0]: needs exactly one of at_least, at_most, below, above");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {attention.name: dot}, at_least: 95}\n"),
            "exp.yaml:2:55: claims[0].at_least: 95 is outside [0, 1]: sequence_accuracy is a "
            "fraction (write 0.95 for 95 %)");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: b}, metric: bleu, at_most: 101}\n"),
            "exp.yaml:2:53: claims[0].at_most: 101 is outside [0, 100], the range of bleu");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: b}, at_least: 95%}\n"),
            "exp.yaml:2:40: claims[0].at_least: '95%' is not a number");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: b}, at_least: 0.5, by_at_least: 0.1}\n"),
            "exp.yaml:2:58: claims[0].by_at_least: applies only to 'below' and 'above', not to "
            "'at_least'");
  EXPECT_EQ(
      parse_error("claims:\n  - {text: t, where: {a: b}, above: {a: c}, by_at_least: -0.1}\n"),
      "exp.yaml:2:58: claims[0].by_at_least: must not be negative (it is a margin)");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {}, at_least: 0.5}\n"),
            "exp.yaml:2:22: claims[0].where: must be a non-empty map of setting -> value or list "
            "of values, e.g. {attention.name: [dot, additive]}");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: [[1, 2]]}, at_least: 0.5}\n"),
            "exp.yaml:2:27: claims[0].where.a: list elements must be plain values (quote a list "
            "to match it: \"[1,15]\")");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: b}, below: {a: []}}\n"),
            "exp.yaml:2:41: claims[0].below.a: must be a value or a non-empty list of values");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, at_least: 0.5}\n"),
            "exp.yaml:2:5: claims[0]: missing 'where' (the runs the claim is about, e.g. "
            "{attention.name: dot})");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {lengths: train}, at_least: 0.5}\n"),
            "exp.yaml:2:23: claims[0].where: 'lengths' is not a setting: give the claim's lengths "
            "beside 'where', and the other side's inside 'below' or 'above'");
  EXPECT_EQ(parse_error("claims:\n  - {text: t, where: {a: b}, below: {a: c, lengths: last}}\n"),
            "exp.yaml:2:53: claims[0].below.lengths: 'last' is not a length selection; valid: "
            "all, train, beyond, longest_train, [lo, hi]");
  EXPECT_EQ(parse_error("claims: {text: t}\n"),
            "exp.yaml:1:9: claims: must be a list of claims, each a map with keys text, where, "
            "metric, lengths, at_least, at_most, below, above, by_at_least");
}

TEST(ClaimsTest, TerminalTextAndTally) {
  const auto outcomes = check(R"(
- text: additive | dot reach 50 %
  where: {attention.name: [additive, dot]}
  at_least: 0.5
- text: none reaches 50 %
  where: {attention.name: none}
  at_least: 0.5
- text: dot reaches 80 %
  where: {attention.name: dot}
  at_least: 0.8
- text: general reaches 50 %
  where: {attention.name: general}
  at_least: 0.5
)",
                              attention_table());
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(claims_tally(outcomes), "1 of 4 claims pass (1 fails, 1 inconclusive, 1 without data)");
  EXPECT_EQ(claims_text({outcomes[1], outcomes[2], outcomes[3]}),
            "INCONCLUSIVE  none reaches 50 %\n"
            "              none: 0.200 [0.000, 1.000] (2 runs) straddles 0.500\n"
            "FAIL          dot reaches 80 %\n"
            "              dot: 0.600 [0.504, 0.696] (1 run; test examples only) < 0.800\n"
            "NO DATA       general reaches 50 %\n"
            "              general: no runs\n"
            "0 of 3 claims pass (1 fails, 1 inconclusive, 1 without data)\n");

  EXPECT_EQ(claims_tally({outcomes[0]}), "1 of 1 claim passes");
  EXPECT_EQ(claims_tally({outcomes[0], outcomes[0]}), "2 of 2 claims pass");
  EXPECT_EQ(claims_text({}), "");
}

}  // namespace
}  // namespace attnlab::report
