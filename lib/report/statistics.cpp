// Student-t intervals with a floor from examples, Student's t distribution
// (through the regularised incomplete beta function) and Holm's adjustment.
#include "report/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace attnlab::report {
namespace {

constexpr double kLevel = 0.95;
// Beyond this many degrees of freedom t is the standard normal to double precision.
constexpr double kNormalDf = 1e7;

// Regularised incomplete beta I_x(a, b) by its continued fraction (modified
// Lentz), on the side of x where the fraction converges fast.
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (x > (a + 1) / (a + b + 2)) return 1 - incomplete_beta(b, a, 1 - x);
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  constexpr double kTiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  d = 1 / (std::fabs(d) < kTiny ? kTiny : d);
  double f = d;
  for (int m = 1; m <= 10000; ++m) {
    for (int half = 0; half < 2; ++half) {
      const double numerator = half == 0
                                   ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                                   : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + numerator * d;
      d = 1 / (std::fabs(d) < kTiny ? kTiny : d);
      c = 1 + numerator / c;
      if (std::fabs(c) < kTiny) c = kTiny;
      f *= c * d;
    }
    if (std::fabs(c * d - 1) < 1e-15) break;
  }
  return std::exp(log_front) * f / a;
}

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// Sample variance (n - 1); 0 for one value.
double variance_of(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double m = mean_of(values);
  double sum = 0;
  for (const double v : values)
    sum += (v - m) * (v - m);
  return sum / static_cast<double>(values.size() - 1);
}

// estimate +- q * se, with q from t (df) and the two-sided p-value of 0.
Interval around(double estimate, double se, double df, int seeds, Interval::Basis basis) {
  Interval i;
  i.estimate = estimate;
  i.seeds = seeds;
  i.basis = basis;
  if (basis == Interval::Basis::kNone || !(se > 0)) {
    i.lo = i.hi = estimate;
    i.p_value = basis == Interval::Basis::kNone || estimate == 0 ? 1 : 0;
    return i;
  }
  const double q = student_t_quantile(0.5 + kLevel / 2, df);
  i.lo = estimate - q * se;
  i.hi = estimate + q * se;
  i.p_value = 2 * (1 - student_t_cdf(std::fabs(estimate) / se, df));
  return i;
}

Interval clamped(Interval i, double lo, double hi) {
  i.lo = std::clamp(i.lo, lo, hi);
  i.hi = std::clamp(i.hi, lo, hi);
  return i;
}

std::vector<double> means(const std::vector<SeedEvidence>& seeds) {
  std::vector<double> out;
  for (const auto& s : seeds)
    out.push_back(s.mean());
  return out;
}

bool all_counted(const std::vector<SeedEvidence>& seeds) {
  return std::all_of(seeds.begin(), seeds.end(),
                     [](const SeedEvidence& s) { return s.examples > 0; });
}

}  // namespace

double SeedEvidence::mean() const {
  if (examples <= 0) return value;
  return static_cast<double>(plus - minus) / static_cast<double>(examples);
}

double student_t_cdf(double t, double df) {
  if (df >= kNormalDf) return 0.5 * std::erfc(-t / std::sqrt(2.0));
  const double tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t));
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (p == 0.5) return 0;
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p)
    hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Interval t_interval(const std::vector<double>& values, double floor) {
  const auto n = static_cast<int>(values.size());
  const double estimate = mean_of(values);
  if (n == 1) {
    return floor > 0 ? around(estimate, std::sqrt(floor), kNormalDf, 1, Interval::Basis::kExamples)
                     : around(estimate, 0, 1, 1, Interval::Basis::kNone);
  }
  const double se = std::sqrt(std::max(variance_of(values) / n, floor));
  return around(estimate, se, n - 1, n, Interval::Basis::kSeeds);
}

Interval welch_interval(const std::vector<double>& a, double a_floor, const std::vector<double>& b,
                        double b_floor) {
  const auto na = static_cast<double>(a.size());
  const auto nb = static_cast<double>(b.size());
  const double va = std::max(variance_of(a) / na, a_floor);
  const double vb = std::max(variance_of(b) / nb, b_floor);
  const double estimate = mean_of(a) - mean_of(b);
  const int seeds = static_cast<int>(std::min(a.size(), b.size()));
  if (a.size() < 2 || b.size() < 2) {
    // A group of one seed has no spread to weigh: examples only, if known.
    const bool known = (a.size() >= 2 || a_floor > 0) && (b.size() >= 2 || b_floor > 0);
    return around(estimate, std::sqrt(va + vb), kNormalDf, seeds,
                  known ? Interval::Basis::kExamples : Interval::Basis::kNone);
  }
  const double df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
  return around(estimate, std::sqrt(va + vb), std::isfinite(df) ? df : na + nb - 2, seeds,
                Interval::Basis::kSeeds);
}

namespace {

// Var(mean over seeds) = sum_i v / N_i / n^2 for a per-example variance v
// shared by the seeds (pooled), seed i having N_i examples.
double per_seed_sum(const std::vector<SeedEvidence>& seeds, double v) {
  double inverse = 0;
  for (const auto& s : seeds)
    inverse += 1 / static_cast<double>(s.examples);
  const auto n = static_cast<double>(seeds.size());
  return v * inverse / (n * n);
}

}  // namespace

double accuracy_floor(const std::vector<SeedEvidence>& seeds) {
  if (seeds.empty() || !all_counted(seeds)) return 0;
  double right = 0, examples = 0;
  for (const auto& s : seeds) {
    right += static_cast<double>(s.plus);
    examples += static_cast<double>(s.examples);
  }
  const double p = (right + 2) / (examples + 4);
  return per_seed_sum(seeds, p * (1 - p));
}

double error_rate_floor(const std::vector<store::EditSums>& seeds) {
  if (seeds.empty()) return 0;
  double sum = 0;
  for (const auto& s : seeds) {
    if (s.examples < 2 || s.reference <= 0) return 0;
    const auto n = static_cast<double>(s.examples);
    const auto total = static_cast<double>(s.reference);
    const double rate = static_cast<double>(s.edits) / total;
    // sum (e - rate r)^2, expanded into the stored sums.
    const double residual = static_cast<double>(s.edits_squared) -
                            2 * rate * static_cast<double>(s.edits_by_reference) +
                            rate * rate * static_cast<double>(s.reference_squared);
    sum += n / (n - 1) * std::max(residual, 0.0) / (total * total);
  }
  const auto k = static_cast<double>(seeds.size());
  return sum / (k * k);
}

Interval accuracy_interval(const std::vector<SeedEvidence>& seeds) {
  return clamped(t_interval(means(seeds), accuracy_floor(seeds)), 0, 1);
}

Interval difference_interval(const std::vector<SeedEvidence>& seeds) {
  double floor = 0;
  if (all_counted(seeds)) {
    double plus = 0, minus = 0, examples = 0;
    for (const auto& s : seeds) {
      plus += static_cast<double>(s.plus);
      minus += static_cast<double>(s.minus);
      examples += static_cast<double>(s.examples);
    }
    const double p = (plus + 0.5) / (examples + 2);
    const double m = (minus + 0.5) / (examples + 2);
    floor = per_seed_sum(seeds, p + m - (p - m) * (p - m));
  }
  return clamped(t_interval(means(seeds), floor), -1, 1);
}

SeedEvidence paired_difference(const std::string& a, const std::string& b, double value_a,
                               double value_b) {
  SeedEvidence e;
  if (a.empty() || a.size() != b.size()) {
    e.value = value_a - value_b;
    return e;
  }
  e.examples = static_cast<std::int64_t>(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == '1' && b[i] != '1') ++e.plus;
    if (a[i] != '1' && b[i] == '1') ++e.minus;
  }
  return e;
}

SeedEvidence single(const std::string& outcomes, double value) {
  SeedEvidence e;
  if (outcomes.empty()) {
    e.value = value;
    return e;
  }
  e.examples = static_cast<std::int64_t>(outcomes.size());
  e.plus = std::count(outcomes.begin(), outcomes.end(), '1');
  return e;
}

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return p_values[i] < p_values[j]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    const size_t i = order[rank];
    running = std::max(running, std::min(1.0, static_cast<double>(m - rank) * p_values[i]));
    adjusted[i] = running;
  }
  return adjusted;
}

}  // namespace attnlab::report
