// Claims parsed from YAML and checked against a synthetic results table whose
// numbers are worked out by hand in each test.
#include "report/claims.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace attnlab::report {
namespace {

using Verdict = ClaimOutcome::Verdict;

// One length bucket. The other metrics follow from the exact match so that
// a test can pick any of them: token accuracy (1 + seq) / 2, error rate
// 1 - seq, BLEU 100 * seq.
store::LengthEval bucket(int length, int n, double seq) {
  store::LengthEval e;
  e.length = length;
  e.n = n;
  e.sequence_accuracy = seq;
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

TEST(ClaimsTest, ThresholdPassesWithTheMeanOverSeedsOfWeightedMeans) {
  const auto outcome = check_one(R"(
- text: additive learns the training lengths
  where: {attention.name: additive}
  lengths: train
  at_least: 0.9
)",
                                 additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.text, "additive learns the training lengths");
  EXPECT_EQ(outcome.detail, "additive: 0.915 (2 runs) >= 0.900");
  ASSERT_EQ(outcome.groups.size(), 1u);
  EXPECT_EQ(outcome.groups[0].runs, 2);
  EXPECT_NEAR(outcome.groups[0].value, (0.875 + 0.955) / 2, 1e-12);
  EXPECT_TRUE(outcome.others.empty());
  EXPECT_FALSE(outcome.worst_margin);
}

TEST(ClaimsTest, ThresholdFailsWithTheNumbersInTheDetail) {
  const auto outcome = check_one(R"(
- text: additive is nearly perfect on the training lengths
  where: {attention.name: additive}
  lengths: train
  at_least: 0.92
)",
                                 additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, "additive: 0.915 (2 runs) < 0.920");
}

TEST(ClaimsTest, AtMostReadsTheChosenMetricAndAllowsRoundingAtTheBound) {
  // Error rate beyond training: seed 1 (0.5 + 0.7) / 2 = 0.6, seed 2 (0.3 + 0.5) / 2 = 0.4;
  // the mean, 0.5, meets at_most 0.5 however the sums round.
  auto outcome = check_one(R"(
- text: additive errs on at most half the tokens beyond training
  where: {attention.name: additive}
  metric: error_rate
  lengths: beyond
  at_most: 0.5
)",
                           additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail, "additive: 0.500 (2 runs) <= 0.500");

  outcome = check_one(R"(
- text: additive errs rarely beyond training
  where: {attention.name: additive}
  metric: error_rate
  lengths: beyond
  at_most: 0.25
)",
                      additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, "additive: 0.500 (2 runs) > 0.250");

  // Token accuracy, train: seed 1 (100*1 + 100*0.95 + 200*0.9) / 400 = 0.9375,
  // seed 2 (100*1 + 100*1 + 200*0.955) / 400 = 0.9775; mean 0.9575.
  outcome = check_one(R"(
- text: tokens
  where: {attention.name: additive}
  metric: token_accuracy
  lengths: train
  at_least: 0.95
)",
                      additive_seeds());
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_NEAR(outcome.groups[0].value, 0.9575, 1e-12);
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

  auto outcome = check_one(with_lengths("all"), {with_split});
  EXPECT_EQ(outcome.detail, "dot: 61.250 (1 run) >= 60.000");
  // Without a split: (10*50 + 30*70) / 40 = 65.
  outcome = check_one(with_lengths("all"), {without_split});
  EXPECT_EQ(outcome.detail, "dot: 65.000 (1 run) >= 60.000");
  outcome = check_one(with_lengths("all"), {with_split, without_split});
  EXPECT_EQ(outcome.detail, "dot: 63.125 (2 runs) >= 60.000");
  // Any other selection reads the buckets: (10*50 + 10*70) / 20 = 60.
  outcome = check_one(with_lengths("train"), {with_split});
  EXPECT_EQ(outcome.detail, "dot: 60.000 (1 run) >= 60.000");
}

TEST(ClaimsTest, BelowHoldsOnlyWhenEveryPairKeepsTheMargin) {
  // none: (0.1 + 0.3) / 2 = 0.2; dot 0.6; additive 0.9.
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
  auto outcome = with_margin("0.3");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail,
            "none: 0.200 (2 runs) vs dot: 0.600 (1 run); additive: 0.900 (1 run); "
            "worst margin: dot - none = 0.400 >= 0.300");
  ASSERT_TRUE(outcome.worst_margin);
  EXPECT_NEAR(*outcome.worst_margin, 0.4, 1e-12);
  ASSERT_EQ(outcome.others.size(), 2u);
  EXPECT_EQ(outcome.others[1].label, "additive");
  EXPECT_NEAR(outcome.others[1].value, 0.9, 1e-12);

  // additive - none = 0.7 keeps a margin of 0.5, dot - none = 0.4 does not.
  outcome = with_margin("0.5");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail,
            "none: 0.200 (2 runs) vs dot: 0.600 (1 run); additive: 0.900 (1 run); "
            "worst margin: dot - none = 0.400 < 0.500");
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
  // dot - none = 0.4, additive - none = 0.7.
  auto outcome = with_margin("0.35");
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail,
            "dot: 0.600 (1 run); additive: 0.900 (1 run) vs none: 0.200 (2 runs); "
            "worst margin: dot - none = 0.400 >= 0.350");
  outcome = with_margin("0.45");
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_NEAR(*outcome.worst_margin, 0.4, 1e-12);

  // Without a margin the groups only have to be ordered: additive above dot.
  outcome =
      check_one("- {text: t, where: {attention.name: additive}, above: {attention.name: dot}}",
                attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  outcome =
      check_one("- {text: t, where: {attention.name: dot}, above: {attention.name: additive}}",
                attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_NEAR(*outcome.worst_margin, -0.3, 1e-12);
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
  EXPECT_EQ(outcome.detail, "dot: 0.600 (1 run) < 0.700; additive: 0.900 (1 run) >= 0.700");

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
  EXPECT_EQ(outcome.detail, "attention.name=dot seed=1: 0.600 (1 run) >= 0.000");
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
            "none: 0.200 (2 runs) vs dot: 0.600 (1 run); general: no runs; "
            "worst margin: dot - none = 0.400 >= 0.000");
  // ... unless a pair with data already fails it; a threshold likewise.
  outcome = check_one(
      "- {text: t, where: {attention.name: none}, above: {attention.name: [dot, general]}}",
      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  outcome = check_one("- {text: t, where: {attention.name: [none, general]}, at_least: 0.5}",
                      attention_table());
  EXPECT_EQ(outcome.verdict, Verdict::kFail);
  EXPECT_EQ(outcome.detail, "none: 0.200 (2 runs) < 0.500; general: no runs");
}

TEST(ClaimsTest, RunsWithoutSelectedLengthsAreLeftOutOfTheMean) {
  auto runs = attention_table();
  runs.push_back(make_run("dot", 2, {1, 3}, {bucket(2, 100, 1.0)}));
  const auto outcome = check_one(
      "- {text: t, where: {attention.name: dot}, lengths: longest_train, at_least: 0.5}", runs);
  EXPECT_EQ(outcome.verdict, Verdict::kPass);
  EXPECT_EQ(outcome.detail, "dot: 0.600 (1 of 2 runs) >= 0.500");
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
            "token_accuracy, sequence_accuracy, error_rate, bleu");
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
  EXPECT_EQ(parse_error("claims: {text: t}\n"),
            "exp.yaml:1:9: claims: must be a list of claims, each a map with keys text, where, "
            "metric, lengths, at_least, at_most, below, above, by_at_least");
}

TEST(ClaimsTest, MarkdownTableAndTally) {
  const auto outcomes = check(R"(
- text: additive | dot reach 50 %
  where: {attention.name: [additive, dot]}
  at_least: 0.5
- text: none reaches 50 %
  where: {attention.name: none}
  at_least: 0.5
- text: general reaches 50 %
  where: {attention.name: general}
  at_least: 0.5
)",
                              attention_table());
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(claims_tally(outcomes), "1 of 3 claims pass (1 fails, 1 without data)");
  EXPECT_EQ(claims_markdown(outcomes),
            "| claim | verdict | numbers |\n"
            "|---|---|---|\n"
            "| additive \\| dot reach 50 % | pass | additive: 0.900 (1 run) >= 0.500; dot: 0.600 "
            "(1 run) >= 0.500 |\n"
            "| none reaches 50 % | **fail** | none: 0.200 (2 runs) < 0.500 |\n"
            "| general reaches 50 % | *no data* | general: no runs |\n"
            "\n"
            "1 of 3 claims pass (1 fails, 1 without data).\n");
  EXPECT_EQ(claims_text(outcomes),
            "PASS     additive | dot reach 50 %\n"
            "         additive: 0.900 (1 run) >= 0.500; dot: 0.600 (1 run) >= 0.500\n"
            "FAIL     none reaches 50 %\n"
            "         none: 0.200 (2 runs) < 0.500\n"
            "NO DATA  general reaches 50 %\n"
            "         general: no runs\n"
            "1 of 3 claims pass (1 fails, 1 without data)\n");

  EXPECT_EQ(claims_tally({outcomes[0]}), "1 of 1 claim passes");
  EXPECT_EQ(claims_tally({outcomes[0], outcomes[0]}), "2 of 2 claims pass");
  EXPECT_EQ(claims_markdown({}), "");
  EXPECT_EQ(claims_text({}), "");
}

}  // namespace
}  // namespace attnlab::report
