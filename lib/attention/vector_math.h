// exp, sigmoid and tanh for loops GCC vectorises: Cephes' expf (e^x =
// 2^n e^r with |r| <= ln2 / 2, e^r by a degree-7 polynomial; within 2 ulp),
// written without branches. Inputs are clamped to where e^x is a normal
// float. Inline, for loops compiled with target_clones.
#pragma once

#include <cstdint>
#include <cstring>

namespace attnlab::attention::kernels {

[[gnu::always_inline]] inline float exp_poly(float x) {
  // Ternaries and a conversion, not std::min and std::floor: those are not
  // inlined into a target_clones copy, and the loop would not vectorise.
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.7f ? 88.7f : x;
  const float scaled = x * 1.44269504088896341f;
  const float n =
      static_cast<float>(static_cast<std::int32_t>(scaled + (scaled < 0 ? -0.5f : 0.5f)));
  float r = x - n * 0.693359375f;
  r -= n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

[[gnu::always_inline]] inline float sigmoid_of(float x) {
  return 1.0f / (1.0f + exp_poly(-x));
}

[[gnu::always_inline]] inline float tanh_of(float x) {
  const float e = exp_poly(-2.0f * __builtin_fabsf(x));
  return __builtin_copysignf((1.0f - e) / (1.0f + e), x);
}

}  // namespace attnlab::attention::kernels
