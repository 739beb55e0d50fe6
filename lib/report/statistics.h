// Intervals for a study's numbers: the mean over seeds of each seed's score,
// with a 95 % Student-t interval over the per-seed values (n - 1 degrees of
// freedom). A seed's score already carries the sampling of its test examples
// (each seed evaluates its own), so the spread between seeds covers both
// sources of chance; with few seeds that spread can come out too small by
// luck (three seeds at 100 %), so the standard error is never taken below
// what example sampling alone implies: Agresti-Coull for an accuracy
// (two successes and two failures added), Agresti-Min for a paired difference
// (half an example added to each cell of the 2 x 2 table). One seed gives an
// interval over its examples only, by the normal quantile, marked as such.
//
// The test suite checks the coverage of these intervals by simulation
// (tests/report/statistics_test.cpp): close to 95 % for 3 to 10 seeds when
// seeds vary moderately, conservative when they do not vary, and below 95 %
// when a few seeds fail far from the rest (a skewed spread), which no
// interval from three seeds can detect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/records.h"

namespace attnlab::report {

// One seed's evidence about a mean of per-example values in {-1, 0, +1}:
// `plus` examples count +1, `minus` count -1, the rest of `examples` 0. A
// setting's accuracy is plus / examples (minus = 0); the paired difference
// of A and B has plus = examples A got right and B wrong, minus = the reverse.
// With examples = 0 (outcomes not recorded, or a metric other than exact
// match) the seed's value is `value`.
struct SeedEvidence {
  std::int64_t examples = 0;
  std::int64_t plus = 0;
  std::int64_t minus = 0;
  double value = 0;  // used only when examples == 0

  double mean() const;
};

struct Interval {
  enum class Basis {
    kSeeds,     // the t-interval over seeds (2 or more)
    kExamples,  // one seed: its test examples only, not the variation between seeds
    kNone,      // one seed without per-example outcomes: no interval (lo = hi = estimate)
  };
  double estimate = 0;  // mean over seeds of each seed's mean
  double lo = 0;
  double hi = 0;
  int seeds = 0;
  Basis basis = Basis::kNone;
  // Two-sided p-value of "the true mean is 0" (comparisons); 1 without an interval.
  double p_value = 1;
};

// The mean of the seeds' accuracies (minus = 0) with its interval, within
// [0, 1]. REQUIRES: seeds non-empty.
Interval accuracy_interval(const std::vector<SeedEvidence>& seeds);

// The mean of paired differences with its interval, within [-1, 1].
// REQUIRES: seeds non-empty.
Interval difference_interval(const std::vector<SeedEvidence>& seeds);

// The t-interval of per-seed values (or per-seed differences), with the
// standard error kept at or above sqrt(floor) (a variance from examples; 0:
// none). One value gives Basis::kExamples when floor > 0, else kNone.
// REQUIRES: values non-empty.
Interval t_interval(const std::vector<double>& values, double floor);

// The difference of two independent groups' means (their seeds do not pair),
// with Welch-Satterthwaite degrees of freedom; each group's floor as above.
// REQUIRES: a and b non-empty.
Interval welch_interval(const std::vector<double>& a, double a_floor, const std::vector<double>& b,
                        double b_floor);

// The variance that example sampling alone gives the mean of these seeds'
// accuracies (Agresti-Coull); 0 when a seed lacks outcomes.
double accuracy_floor(const std::vector<SeedEvidence>& seeds);

// The variance that example sampling alone gives the mean of these seeds'
// error rates (edits over reference tokens, a ratio of two sums). Each seed's
// is the ratio estimator's (by the delta method), n / (n - 1) *
// sum (e_i - rate * r_i)^2 / (sum r_i)^2 over its n examples; 0 when a seed
// lacks its sums (or has fewer than two examples), or when every example
// has the same error rate (all right, say), where nothing can be said.
double error_rate_floor(const std::vector<store::EditSums>& seeds);

// A paired seed: `a` and `b` are one seed's exact-match outcomes ('1'/'0')
// under two settings, over the same examples in the same order. When either
// is empty or they differ in length, the seed counts as `value_a - value_b`.
SeedEvidence paired_difference(const std::string& a, const std::string& b, double value_a,
                               double value_b);

// One setting's seed: accuracy from its outcomes, or `value` without them.
SeedEvidence single(const std::string& outcomes, double value);

// Student's t distribution with `df` > 0 degrees of freedom: P(T <= t), and
// the quantile q with P(T <= q) = p for 0 < p < 1.
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);

// Holm's step-down adjustment of p-values for the family given (same order):
// each adjusted p-value is compared with the level the unadjusted ones were
// (0.05), and the family-wise error rate stays at that level.
std::vector<double> holm_adjust(const std::vector<double>& p_values);

}  // namespace attnlab::report
