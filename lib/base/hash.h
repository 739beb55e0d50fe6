// Fixed hashes and random streams with one definition on every platform
// (never std::hash or a standard library distribution, whose output
// differs between implementations): data splits, seeds and shuffles
// depend on them, and stored runs on those.
#pragma once

#include <cstdint>
#include <string_view>

namespace attnlab::base {

// 64-bit FNV-1a of the bytes.
std::uint64_t fnv1a(std::string_view bytes);

// SplitMix64 (Steele, Lea and Flood 2014): one word of state, the
// generator that seeds xoshiro.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t state_;
};

}  // namespace attnlab::base
