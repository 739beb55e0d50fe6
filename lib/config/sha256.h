// SHA-256 (FIPS 180-4), for stable config hashes without a crypto dependency.
#pragma once

#include <string>

namespace attnlab::config {

// Returns the digest of `data` as 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

}  // namespace attnlab::config
