// Intervals for report figures, by the percentile bootstrap. Resampling is
// hierarchical, as the data were made: seeds are drawn with replacement,
// then, within each drawn seed, its evaluated examples. A comparison of two
// settings is paired: the same seed evaluates the same examples, in the same
// order, under both, so each draw keeps an example's two outcomes together.
// The random stream is fixed (and our own), so an interval is the same on
// every machine and every time a report is regenerated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab::report {

// One seed's evidence about a mean of per-example values in {-1, 0, +1}:
// `plus` examples count +1, `minus` count -1, the rest of `examples` 0. A
// setting's accuracy is plus / examples (minus = 0); the paired difference
// of A and B has plus = examples A got right and B wrong, minus = the reverse.
// With examples = 0 (outcomes not recorded) the seed contributes `value`
// unchanged to every resample.
struct SeedEvidence {
  std::int64_t examples = 0;
  std::int64_t plus = 0;
  std::int64_t minus = 0;
  double value = 0;  // used only when examples == 0

  double mean() const;
};

struct Interval {
  double estimate = 0;  // mean over seeds of each seed's mean
  double lo = 0;        // 2.5th percentile of the resampled estimates
  double hi = 0;        // 97.5th percentile
};

constexpr int kBootstrapResamples = 2000;

// The estimate and its 95 % percentile-bootstrap interval. `stream` picks
// the random stream (e.g. a hash of what is being estimated), so intervals
// do not depend on the order they are computed in. REQUIRES: seeds non-empty.
Interval bootstrap_interval(const std::vector<SeedEvidence>& seeds, std::uint64_t stream,
                            int resamples = kBootstrapResamples);

// A paired seed: `a` and `b` are one seed's exact-match outcomes ('1'/'0')
// under two settings, over the same examples in the same order. When either
// is empty or they differ in length, the seed counts as `value_a - value_b`.
SeedEvidence paired_difference(const std::string& a, const std::string& b, double value_a,
                               double value_b);

// One setting's seed: accuracy from its outcomes, or `value` without them.
SeedEvidence single(const std::string& outcomes, double value);

// FNV-1a of `text`, for picking a stream.
std::uint64_t stream_of(const std::string& text);

}  // namespace attnlab::report
