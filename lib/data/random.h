// Deterministic randomness for data generation, on base::SplitMix64: it has
// a fixed definition (unlike std::uniform_int_distribution, whose output
// differs between standard libraries) and needs no state beyond one word, so
// any batch can be regenerated from (seed, stream, index) alone.
#pragma once

#include <cstdint>
#include <string>

#include "base/hash.h"

namespace attnlab::data {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : stream_(seed) {}

  std::uint64_t next() { return stream_.next(); }
  // Uniform in [0, n). REQUIRES: n > 0. Unbiased (rejection sampling).
  std::uint64_t below(std::uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int between(int lo, int hi);

 private:
  base::SplitMix64 stream_;
};

// A seed for one independent stream: the same (seed, stream, index) always
// gives the same value, and different streams do not overlap in practice.
std::uint64_t derive_seed(std::uint64_t seed, const std::string& stream, std::uint64_t index);

}  // namespace attnlab::data
