// SplitMix64 (Steele, Lea, Flood 2014), as used to seed xoshiro generators.
#include "data/random.h"

namespace attnlab::data {

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

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
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : stream)
    h = (h ^ c) * 0x100000001b3ULL;
  Rng mix(seed ^ h);
  mix.next();
  Rng out(mix.next() ^ (index * 0xd1b54a32d192ed03ULL));
  return out.next();
}

}  // namespace attnlab::data
