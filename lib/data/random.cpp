// Uniform draws without bias, and seeds for independent streams.
#include "data/random.h"

namespace attnlab::data {

std::uint64_t Rng::below(std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next();
  while (x >= limit)
    x = next();
  return x % n;
}

int Rng::between(int lo, int hi) {
  return lo + static_cast<int>(below(static_cast<std::uint64_t>(hi - lo) + 1));
}

std::uint64_t derive_seed(std::uint64_t seed, const std::string& stream, std::uint64_t index) {
  // FNV-1a over the stream name, then mixed with the seed and index.
  Rng mix(seed ^ base::fnv1a(stream));
  mix.next();
  Rng out(mix.next() ^ (index * 0xd1b54a32d192ed03ULL));
  return out.next();
}

}  // namespace attnlab::data
