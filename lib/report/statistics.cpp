// The bootstrap with a counter-based generator (SplitMix64) and Lemire's
// multiply-shift for bounded integers: no library distribution, whose output
// may differ between standard libraries.
#include "report/statistics.h"

#include <algorithm>
#include <cmath>

namespace attnlab::report {
namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) for n < 2^32 (the bias is below 2^-32 n, negligible).
  std::uint64_t below(std::uint64_t n) { return ((next() >> 32) * n) >> 32; }

 private:
  std::uint64_t state_;
};

// One resample of a seed: `examples` draws with replacement, each +1 with
// probability plus/examples and -1 with probability minus/examples.
double resample(const SeedEvidence& seed, SplitMix64& rng) {
  if (seed.examples <= 0) return seed.value;
  const auto n = static_cast<std::uint64_t>(seed.examples);
  const auto plus = static_cast<std::uint64_t>(seed.plus);
  const auto minus_end = plus + static_cast<std::uint64_t>(seed.minus);
  std::int64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t u = rng.below(n);
    sum += u < plus ? 1 : (u < minus_end ? -1 : 0);
  }
  return static_cast<double>(sum) / static_cast<double>(n);
}

double percentile(const std::vector<double>& sorted, double q) {
  // Linear interpolation between closest ranks (type 7 of Hyndman and Fan).
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

double SeedEvidence::mean() const {
  if (examples <= 0) return value;
  return static_cast<double>(plus - minus) / static_cast<double>(examples);
}

Interval bootstrap_interval(const std::vector<SeedEvidence>& seeds, std::uint64_t stream,
                            int resamples) {
  Interval out;
  for (const auto& s : seeds)
    out.estimate += s.mean();
  out.estimate /= static_cast<double>(seeds.size());
  SplitMix64 rng(stream);
  std::vector<double> estimates;
  estimates.reserve(static_cast<size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    double sum = 0;
    for (size_t k = 0; k < seeds.size(); ++k) {
      // One seed is not resampled: there is nothing to draw between.
      const auto& seed = seeds.size() == 1 ? seeds[0] : seeds[rng.below(seeds.size())];
      sum += resample(seed, rng);
    }
    estimates.push_back(sum / static_cast<double>(seeds.size()));
  }
  std::sort(estimates.begin(), estimates.end());
  out.lo = percentile(estimates, 0.025);
  out.hi = percentile(estimates, 0.975);
  return out;
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

std::uint64_t stream_of(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace attnlab::report
