// Intervals: Student's t against published quantiles, worked examples, Holm's
// adjustment, and the coverage of the intervals by simulation: seeds whose
// accuracies vary around a known mean, each scored on its own test examples,
// as a study's runs are, and one seed's error rate over its examples.
#include "report/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "base/hash.h"

namespace attnlab::report {
namespace {

std::string outcomes(int ones, int zeros) {
  return std::string(static_cast<size_t>(ones), '1') + std::string(static_cast<size_t>(zeros), '0');
}

TEST(Statistics, EvidenceCountsOutcomes) {
  const SeedEvidence s = single("1101", 0.0);
  EXPECT_EQ(s.examples, 4);
  EXPECT_EQ(s.plus, 3);
  EXPECT_EQ(s.minus, 0);
  EXPECT_DOUBLE_EQ(s.mean(), 0.75);
  const SeedEvidence v = single("", 0.4);
  EXPECT_EQ(v.examples, 0);
  EXPECT_DOUBLE_EQ(v.mean(), 0.4);
}

TEST(Statistics, PairedDifferenceCountsDisagreements) {
  const SeedEvidence d = paired_difference("11001", "10101", 0, 0);
  EXPECT_EQ(d.examples, 5);
  EXPECT_EQ(d.plus, 1);   // example 2: A right, B wrong
  EXPECT_EQ(d.minus, 1);  // example 3: B right, A wrong
  EXPECT_DOUBLE_EQ(d.mean(), 0.0);
  // Without matching outcomes, only the values remain.
  const SeedEvidence v = paired_difference("11", "101", 0.9, 0.6);
  EXPECT_EQ(v.examples, 0);
  EXPECT_NEAR(v.mean(), 0.3, 1e-12);
}

TEST(Statistics, StudentTMatchesPublishedQuantiles) {
  // 97.5 % quantiles (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062047, 1e-6);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.30265273, 1e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.77644511, 1e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.26215716, 1e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.04227246, 1e-7);
  EXPECT_NEAR(student_t_quantile(0.975, 1e9), 1.95996398, 1e-7);
  EXPECT_NEAR(student_t_quantile(0.025, 4), -2.77644511, 1e-7);
  EXPECT_DOUBLE_EQ(student_t_cdf(0, 3), 0.5);
  EXPECT_NEAR(student_t_cdf(2.0, 10), 0.963305982, 1e-8);
  EXPECT_NEAR(student_t_cdf(-1.5, 2.5), 1 - student_t_cdf(1.5, 2.5), 1e-15);
  // Fractional degrees of freedom (Welch) lie between their neighbours.
  const double q = student_t_quantile(0.975, 4.5);
  EXPECT_LT(q, student_t_quantile(0.975, 4));
  EXPECT_GT(q, student_t_quantile(0.975, 5));
}

TEST(Statistics, ThreeSeedsGiveTheTIntervalOfTheirMeans) {
  // 0.90, 0.80, 0.85: mean 0.85, s = 0.05, se = 0.05 / sqrt(3) = 0.0288675;
  // the floor from 300 examples, sqrt(0.8454 * 0.1546 * 0.03 / 9) = 0.0209,
  // is smaller. Half width t(2) * se = 4.30265 * 0.0288675 = 0.124207.
  const Interval i = accuracy_interval(
      {single(outcomes(90, 10), 0), single(outcomes(80, 20), 0), single(outcomes(85, 15), 0)});
  EXPECT_EQ(i.basis, Interval::Basis::kSeeds);
  EXPECT_EQ(i.seeds, 3);
  EXPECT_NEAR(i.estimate, 0.85, 1e-12);
  EXPECT_NEAR(i.lo, 0.85 - 0.124207, 1e-6);
  EXPECT_NEAR(i.hi, 0.85 + 0.124207, 1e-6);
}

TEST(Statistics, SeedsThatAgreeByLuckStillCarryTheirExamplesNoise) {
  // Three seeds at 100 of 100: s = 0, but 300 examples cannot pin 100 %:
  // p~ = 302 / 304, se = sqrt(p~ (1 - p~) * 0.03 / 9) = 0.0046674.
  const Interval i = accuracy_interval(
      {single(outcomes(100, 0), 0), single(outcomes(100, 0), 0), single(outcomes(100, 0), 0)});
  const double p = 302.0 / 304.0;
  const double se = std::sqrt(p * (1 - p) * 0.03 / 9);
  EXPECT_NEAR(i.lo, 1 - student_t_quantile(0.975, 2) * se, 1e-9);
  EXPECT_DOUBLE_EQ(i.hi, 1.0);  // kept within [0, 1]
  EXPECT_GT(i.lo, 0.97);
  EXPECT_LT(i.lo, 0.99);
}

TEST(Statistics, OneSeedHasAnIntervalOverItsExamplesOnly) {
  // 200 of 400: p~ = 202 / 404 = 0.5, se = sqrt(0.25 / 400) = 0.025, +- 1.96 se.
  const Interval i = accuracy_interval({single(outcomes(200, 200), 0)});
  EXPECT_EQ(i.basis, Interval::Basis::kExamples);
  EXPECT_NEAR(i.lo, 0.5 - 1.959964 * 0.025, 1e-6);
  EXPECT_NEAR(i.hi, 0.5 + 1.959964 * 0.025, 1e-6);
  // Without outcomes there is nothing to draw an interval from.
  const Interval none = accuracy_interval({single("", 0.7)});
  EXPECT_EQ(none.basis, Interval::Basis::kNone);
  EXPECT_DOUBLE_EQ(none.lo, 0.7);
  EXPECT_DOUBLE_EQ(none.hi, 0.7);
}

TEST(Statistics, PairedDifferencesUseTheirOwnSpreadAndP) {
  // Per-seed differences 0.30, 0.20, 0.25 (100 examples each, A right and B
  // wrong on 30/20/25, never the reverse): the t-interval of the differences.
  const auto seed = [](int plus) {
    return paired_difference(outcomes(plus, 100 - plus), outcomes(0, 100), 0, 0);
  };
  const Interval d = difference_interval({seed(30), seed(20), seed(25)});
  EXPECT_NEAR(d.estimate, 0.25, 1e-12);
  EXPECT_NEAR(d.hi - d.estimate, student_t_quantile(0.975, 2) * 0.05 / std::sqrt(3.0), 1e-9);
  // t = 0.25 / 0.0288675 = 8.66 on 2 degrees of freedom.
  EXPECT_NEAR(d.p_value, 2 * (1 - student_t_cdf(0.25 / (0.05 / std::sqrt(3.0)), 2)), 1e-12);
  EXPECT_LT(d.p_value, 0.05);
  // Identical outcomes: no difference, and an interval around 0 from the examples.
  const Interval same = difference_interval({paired_difference("1101", "1101", 0, 0)});
  EXPECT_DOUBLE_EQ(same.estimate, 0);
  EXPECT_LT(same.lo, 0);
  EXPECT_GT(same.hi, 0);
}

TEST(Statistics, WelchComparesGroupsWithoutCommonSeeds) {
  // a: 0.9, 0.8 (mean 0.85, var 0.005); b: 0.5, 0.7, 0.6 (mean 0.6, var 0.01).
  const Interval d = welch_interval({0.9, 0.8}, 0, {0.5, 0.7, 0.6}, 0);
  const double va = 0.005 / 2, vb = 0.01 / 3;
  const double df = (va + vb) * (va + vb) / (va * va / 1 + vb * vb / 2);
  EXPECT_NEAR(d.estimate, 0.25, 1e-12);
  EXPECT_NEAR(d.hi - d.estimate, student_t_quantile(0.975, df) * std::sqrt(va + vb), 1e-9);
  EXPECT_EQ(d.basis, Interval::Basis::kSeeds);
}

TEST(Statistics, HolmAdjustsInStepDownOrder) {
  // Sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 -> 0.06 (monotone).
  const auto adjusted = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[0], 0.03, 1e-12);
  EXPECT_NEAR(adjusted[1], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-12);
  EXPECT_DOUBLE_EQ(holm_adjust({0.9, 0.8})[0], 1.0);  // capped at 1
}
TEST(Statistics, ErrorRateFloorIsTheRatioEstimatorsVariance) {
  // 50 examples of 4 tokens without an edit and 50 of 6 with one: rate 0.1,
  // sum (e - 0.1 r)^2 = 50 * 0.16 + 50 * 0.16 = 16, variance 100 / 99 * 16 / 500^2.
  store::EditSums s;
  for (int i = 0; i < 50; ++i) {
    s.add(0, 4);
    s.add(1, 6);
  }
  const double one = 100.0 / 99 * 16 / (500.0 * 500.0);
  EXPECT_NEAR(error_rate_floor({s}), one, 1e-15);
  EXPECT_NEAR(error_rate_floor({s, s}), 2 * one / 4, 1e-15);  // the mean of two seeds
  const Interval one_seed = t_interval({0.1}, error_rate_floor({s}));
  EXPECT_EQ(one_seed.basis, Interval::Basis::kExamples);
  EXPECT_NEAR(one_seed.hi - one_seed.lo, 2 * 1.959964 * std::sqrt(one), 1e-6);
  // A seed without its sums, or examples that all err alike: no floor.
  EXPECT_EQ(error_rate_floor({s, store::EditSums{}}), 0);
  store::EditSums perfect;
  for (int i = 0; i < 10; ++i)
    perfect.add(0, 5);
  EXPECT_EQ(error_rate_floor({perfect}), 0);
  EXPECT_EQ(error_rate_floor({}), 0);
}

// --- coverage ------------------------------------------------------------------

// A fixed stream, so that the coverage figures below are the same on every
// machine (no library distribution).
class Stream {
 public:
  explicit Stream(std::uint64_t seed) : bits_(seed) {}
  double uniform() { return static_cast<double>(bits_.next() >> 11) * 0x1.0p-53; }
  double normal() {  // Box-Muller
    const double u = 1 - uniform(), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  }

 private:
  base::SplitMix64 bits_;
};

double logistic(double x) {
  return 1 / (1 + std::exp(-x));
}

// Seeds whose accuracy is logistic(mu + sigma * z), z standard normal, each
// scored on `examples` test examples of its own.
struct Scenario {
  double mu;
  double sigma;
  int examples;
};

// E[logistic(mu + sigma z)] by the trapezoid rule over z in [-8, 8].
double true_mean(const Scenario& s) {
  const int steps = 20000;
  double sum = 0;
  for (int k = 0; k <= steps; ++k) {
    const double z = -8 + 16.0 * k / steps;
    const double w = (k == 0 || k == steps) ? 0.5 : 1.0;
    sum += w * logistic(s.mu + s.sigma * z) * std::exp(-z * z / 2);
  }
  return sum * (16.0 / steps) / std::sqrt(2 * M_PI);
}

// The share of `trials` studies of `seeds` seeds whose interval holds the true mean.
double coverage(const Scenario& s, int seeds, int trials) {
  Stream stream(0x5eed0000 + static_cast<std::uint64_t>(seeds));
  const double truth = true_mean(s);
  int covered = 0;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<SeedEvidence> study;
    for (int k = 0; k < seeds; ++k) {
      const double p = logistic(s.mu + s.sigma * stream.normal());
      int right = 0;
      for (int e = 0; e < s.examples; ++e)
        right += stream.uniform() < p;
      study.push_back(single(outcomes(right, s.examples - right), 0));
    }
    const Interval i = accuracy_interval(study);
    covered += i.lo <= truth && truth <= i.hi;
  }
  return static_cast<double>(covered) / trials;
}

TEST(Coverage, HoldsForThreeToTenSeedsThatVaryModerately) {
  // 2000 trials: a coverage of 0.95 reads within about +-0.01 (two standard errors).
  for (const Scenario s : {Scenario{2.2, 0.5, 300}, Scenario{0.4, 0.3, 300}}) {
    for (const int seeds : {3, 5, 10}) {
      const double c = coverage(s, seeds, 2000);
      EXPECT_GT(c, 0.915) << "mu " << s.mu << " sigma " << s.sigma << ", " << seeds << " seeds";
      EXPECT_LT(c, 0.99) << "mu " << s.mu << " sigma " << s.sigma << ", " << seeds << " seeds";
    }
  }
}

// One seed's error rate over `examples` examples of 3 to 10 reference tokens
// each, 30 % of them hard (each token wrong with probability 0.3) and the
// rest easy (0.02): errors cluster in words, as a G2P model's do. The true
// rate is 0.3 * 0.3 + 0.7 * 0.02 = 0.104, whatever the lengths.
double error_rate_coverage(int examples, int trials) {
  Stream stream(0xe7707 + static_cast<std::uint64_t>(examples));
  constexpr double kTruth = 0.104;
  int covered = 0;
  for (int trial = 0; trial < trials; ++trial) {
    store::EditSums sums;
    for (int e = 0; e < examples; ++e) {
      const int tokens = 3 + static_cast<int>(stream.uniform() * 8);
      const double p = stream.uniform() < 0.3 ? 0.3 : 0.02;
      int edits = 0;
      for (int t = 0; t < tokens; ++t)
        edits += stream.uniform() < p;
      sums.add(edits, tokens);
    }
    const double rate = static_cast<double>(sums.edits) / static_cast<double>(sums.reference);
    const Interval i = t_interval({rate}, error_rate_floor({sums}));
    covered += i.lo <= kTruth && kTruth <= i.hi;
  }
  return static_cast<double>(covered) / trials;
}

TEST(Coverage, HoldsForOneSeedsErrorRateOverItsExamples) {
  for (const int examples : {200, 2000}) {
    const double c = error_rate_coverage(examples, 2000);
    EXPECT_GT(c, 0.935) << examples << " examples";
    EXPECT_LT(c, 0.965) << examples << " examples";
  }
}

TEST(Coverage, IsConservativeWhenSeedsDoNotVary) {
  // Only example sampling: the floor keeps three seeds that agree by luck
  // from claiming more than their examples show.
  for (const int seeds : {3, 5, 10})
    EXPECT_GE(coverage({2.0, 0.0, 300}, seeds, 2000), 0.95) << seeds << " seeds";
}

TEST(Coverage, FallsShortWhenAFewSeedsFailFarFromTheRest) {
  // A skewed spread near the ceiling (most seeds at 97-99 %, a few far
  // lower): three seeds rarely include a bad one, and no interval built
  // from them can know. The README states this limit; more seeds shrink it.
  const Scenario skewed{3.0, 1.5, 300};
  const double three = coverage(skewed, 3, 2000);
  const double ten = coverage(skewed, 10, 2000);
  EXPECT_LT(three, 0.90);
  EXPECT_GT(three, 0.75);
  EXPECT_GT(ten, three);
}

}  // namespace
}  // namespace attnlab::report
