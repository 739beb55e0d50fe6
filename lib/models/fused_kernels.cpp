// GCC vector extensions give portable 8-float arithmetic; target_clones
// compiles each kernel for Haswell (AVX2, FMA) and for the baseline, and
// the loader picks one per CPU. Work is split over rows with at::parallel_for,
// which LibTorch's thread setting governs.
#include "models/fused_kernels.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <initializer_list>
#include <vector>

// Vectors are passed only between inlined functions, so the warning that
// their ABI differs with and without AVX does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace attnlab::models::kernels {
namespace {

using Vec = float __attribute__((vector_size(32)));
constexpr std::int64_t kLanes = 8;

[[gnu::always_inline]] inline Vec load(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

[[gnu::always_inline]] inline void store(float* p, Vec v) {
  std::memcpy(p, &v, sizeof v);
}

[[gnu::always_inline]] inline float sum(Vec v) {
  float s = 0;
  for (std::int64_t i = 0; i < kLanes; ++i)
    s += v[i];
  return s;
}

[[gnu::always_inline]] inline float dot(const float* a, const float* b, std::int64_t n) {
  Vec acc0 = {}, acc1 = {};
  std::int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    acc0 += load(a + i) * load(b + i);
    acc1 += load(a + i + kLanes) * load(b + i + kLanes);
  }
  for (; i + kLanes <= n; i += kLanes)
    acc0 += load(a + i) * load(b + i);
  float s = sum(acc0 + acc1);
  for (; i < n; ++i)
    s += a[i] * b[i];
  return s;
}

// y += alpha x
[[gnu::always_inline]] inline void axpy(float alpha, const float* x, float* y, std::int64_t n) {
  const Vec a = Vec{} + alpha;
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    store(y + i, load(y + i) + a * load(x + i));
  for (; i < n; ++i)
    y[i] += alpha * x[i];
}

void check(const char* kernel, std::initializer_list<const torch::Tensor*> tensors) {
  for (const torch::Tensor* t : tensors) {
    TORCH_CHECK(t->is_contiguous() && t->scalar_type() == torch::kFloat32 && t->is_cpu(),
                "kernels::", kernel, ": tensors must be contiguous fp32 on the CPU");
  }
}

[[gnu::target_clones("arch=haswell", "default")]] void attend_rows(
    const float* keys, const float* memory, const float* h, float* weights, float* context,
    std::int64_t begin, std::int64_t end, std::int64_t s, std::int64_t hidden) {
  for (std::int64_t b = begin; b < end; ++b) {
    float* w = weights + b * s;
    float top = -INFINITY;
    for (std::int64_t j = 0; j < s; ++j) {
      w[j] = dot(keys + (b * s + j) * hidden, h + b * hidden, hidden);
      top = std::max(top, w[j]);
    }
    float total = 0;
    for (std::int64_t j = 0; j < s; ++j)
      total += (w[j] = std::exp(w[j] - top));
    float* c = context + b * hidden;
    std::fill(c, c + hidden, 0.0f);
    for (std::int64_t j = 0; j < s; ++j) {
      w[j] /= total;
      axpy(w[j], memory + (b * s + j) * hidden, c, hidden);
    }
  }
}

[[gnu::target_clones("arch=haswell", "default")]] void attend_backward_rows(
    const float* keys, const float* memory, const float* weights, const float* d_context,
    float* d_scores, float* dh, std::int64_t begin, std::int64_t end, std::int64_t s,
    std::int64_t hidden) {
  for (std::int64_t b = begin; b < end; ++b) {
    const float* w = weights + b * s;
    float* de = d_scores + b * s;
    float weighted = 0;
    for (std::int64_t j = 0; j < s; ++j) {
      de[j] = dot(memory + (b * s + j) * hidden, d_context + b * hidden, hidden);
      weighted += w[j] * de[j];
    }
    for (std::int64_t j = 0; j < s; ++j) {
      de[j] = w[j] * (de[j] - weighted);
      axpy(de[j], keys + (b * s + j) * hidden, dh + b * hidden, hidden);
    }
  }
}

[[gnu::target_clones("arch=haswell", "default")]] void gru_backward_rows(
    const float* d, const float* g, const float* gh, const float* hp, float* ox, float* oh,
    float* op, std::int64_t begin, std::int64_t end, std::int64_t hidden) {
  for (std::int64_t b = begin; b < end; ++b) {
    const float* gb = g + b * 3 * hidden;
    const float* hn = gh + b * 3 * hidden + 2 * hidden;
    float* xb = ox + b * 3 * hidden;
    float* yb = oh + b * 3 * hidden;
    for (std::int64_t j = 0; j < hidden; ++j) {
      const float r = gb[j], z = gb[hidden + j], n = gb[2 * hidden + j];
      const float dj = d[b * hidden + j];
      const float dn = dj * (1.0f - z) * (1.0f - n * n);
      const float dz = dj * (hp[b * hidden + j] - n) * z * (1.0f - z);
      const float dr = dn * hn[j] * r * (1.0f - r);
      xb[j] = yb[j] = dr;
      xb[hidden + j] = yb[hidden + j] = dz;
      xb[2 * hidden + j] = dn;
      yb[2 * hidden + j] = dn * r;
      op[b * hidden + j] = dj * z;
    }
  }
}

// Rows per task: enough work to pay for waking a thread.
constexpr std::int64_t kGrain = 8;

}  // namespace

void attend(const torch::Tensor& keys, const torch::Tensor& memory, const torch::Tensor& h,
            torch::Tensor& weights, torch::Tensor& context) {
  check("attend", {&keys, &memory, &h, &weights, &context});
  const auto s = keys.size(1), hidden = keys.size(2);
  const float* k = keys.data_ptr<float>();
  const float* m = memory.data_ptr<float>();
  const float* q = h.data_ptr<float>();
  float* w = weights.data_ptr<float>();
  float* c = context.data_ptr<float>();
  at::parallel_for(0, keys.size(0), kGrain, [&](std::int64_t begin, std::int64_t end) {
    attend_rows(k, m, q, w, c, begin, end, s, hidden);
  });
}

void attend_backward(const torch::Tensor& keys, const torch::Tensor& memory,
                     const torch::Tensor& weights, const torch::Tensor& d_context,
                     torch::Tensor& d_scores, torch::Tensor& dh) {
  check("attend_backward", {&keys, &memory, &weights, &d_context, &d_scores, &dh});
  const auto s = keys.size(1), hidden = keys.size(2);
  const float* k = keys.data_ptr<float>();
  const float* m = memory.data_ptr<float>();
  const float* w = weights.data_ptr<float>();
  const float* dc = d_context.data_ptr<float>();
  float* de = d_scores.data_ptr<float>();
  float* d = dh.data_ptr<float>();
  at::parallel_for(0, keys.size(0), kGrain, [&](std::int64_t begin, std::int64_t end) {
    attend_backward_rows(k, m, w, dc, de, d, begin, end, s, hidden);
  });
}

void gru_backward(const torch::Tensor& dh, const torch::Tensor& gates, const torch::Tensor& gh,
                  const torch::Tensor& h_prev, torch::Tensor& dgx, torch::Tensor& dgh,
                  torch::Tensor& dh_prev) {
  check("gru_backward", {&dh, &gates, &gh, &h_prev, &dgx, &dgh, &dh_prev});
  const auto hidden = dh.size(1);
  const float* d = dh.data_ptr<float>();
  const float* g = gates.data_ptr<float>();
  const float* hh = gh.data_ptr<float>();
  const float* hp = h_prev.data_ptr<float>();
  float* ox = dgx.data_ptr<float>();
  float* oh = dgh.data_ptr<float>();
  float* op = dh_prev.data_ptr<float>();
  at::parallel_for(0, dh.size(0), kGrain, [&](std::int64_t begin, std::int64_t end) {
    gru_backward_rows(d, g, hh, hp, ox, oh, op, begin, end, hidden);
  });
}

}  // namespace attnlab::models::kernels
