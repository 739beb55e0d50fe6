// FNV-1a: offset basis 14695981039346656037, prime 1099511628211.
#include "base/hash.h"

namespace attnlab::base {

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes)
    h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace attnlab::base
