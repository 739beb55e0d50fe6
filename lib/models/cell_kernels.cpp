// Plain loops GCC vectorises, with an x86-64-v3 (AVX2, FMA) copy of each
// (target_clones; the CPU must support its features, whatever its maker).
#include "models/cell_kernels.h"

#include <cstdint>

#include "attention/kernels.h"
#include "attention/vector_math.h"

namespace attnlab::models::kernels {

using attention::kernels::sigmoid_of;
using attention::kernels::tanh_of;

namespace {

[[gnu::target_clones("arch=x86-64-v3", "default")]] void gru_forward_rows(
    const float* __restrict gi, const float* __restrict gh, const float* __restrict h_prev,
    int batch, int hidden, float* __restrict gates, float* __restrict h) {
  for (int b = 0; b < batch; ++b) {
    const std::int64_t g0 = static_cast<std::int64_t>(b) * 3 * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(b) * hidden;
    const float* x = gi + g0;
    const float* y = gh + g0;
    float* out = gates + g0;
    for (int j = 0; j < 2 * hidden; ++j)
      out[j] = sigmoid_of(x[j] + y[j]);
    for (int j = 0; j < hidden; ++j) {
      const float r = out[j], z = out[hidden + j];
      const float n = tanh_of(x[2 * hidden + j] + r * y[2 * hidden + j]);
      out[2 * hidden + j] = n;
      h[h0 + j] = (1.0f - z) * n + z * h_prev[h0 + j];
    }
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void gru_backward_rows(
    const float* __restrict dh, const float* __restrict gates, const float* __restrict gh,
    const float* __restrict h_prev, int batch, int hidden, float* __restrict d_gi,
    float* __restrict d_gh, float* __restrict dh_prev) {
  for (int b = 0; b < batch; ++b) {
    const std::int64_t g0 = static_cast<std::int64_t>(b) * 3 * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(b) * hidden;
    const float* g = gates + g0;
    const float* hn = gh + g0 + 2 * hidden;
    float* x = d_gi + g0;
    float* y = d_gh + g0;
    for (int j = 0; j < hidden; ++j) {
      const float r = g[j], z = g[hidden + j], n = g[2 * hidden + j];
      const float d = dh[h0 + j];
      const float dn = d * (1.0f - z) * (1.0f - n * n);
      const float dz = d * (h_prev[h0 + j] - n) * z * (1.0f - z);
      const float dr = dn * hn[j] * r * (1.0f - r);
      x[j] = y[j] = dr;
      x[hidden + j] = y[hidden + j] = dz;
      x[2 * hidden + j] = dn;
      y[2 * hidden + j] = dn * r;
      dh_prev[h0 + j] = d * z;
    }
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void lstm_forward_rows(
    const float* __restrict gi, const float* __restrict gh, const float* __restrict c_prev,
    int batch, int hidden, float* __restrict gates, float* __restrict c, float* __restrict h) {
  for (int b = 0; b < batch; ++b) {
    const std::int64_t g0 = static_cast<std::int64_t>(b) * 4 * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(b) * hidden;
    const float* x = gi + g0;
    const float* y = gh + g0;
    float* out = gates + g0;
    for (int j = 0; j < 2 * hidden; ++j)
      out[j] = sigmoid_of(x[j] + y[j]);
    for (int j = 2 * hidden; j < 3 * hidden; ++j)
      out[j] = tanh_of(x[j] + y[j]);
    for (int j = 3 * hidden; j < 4 * hidden; ++j)
      out[j] = sigmoid_of(x[j] + y[j]);
    for (int j = 0; j < hidden; ++j) {
      const float cj = out[hidden + j] * c_prev[h0 + j] + out[j] * out[2 * hidden + j];
      c[h0 + j] = cj;
      h[h0 + j] = out[3 * hidden + j] * tanh_of(cj);
    }
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void lstm_backward_rows(
    const float* __restrict dh, const float* __restrict gates, const float* __restrict c,
    const float* __restrict c_prev, int batch, int hidden, float* __restrict d_pre,
    float* __restrict dc) {
  for (int b = 0; b < batch; ++b) {
    const std::int64_t g0 = static_cast<std::int64_t>(b) * 4 * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(b) * hidden;
    const float* g = gates + g0;
    float* d = d_pre + g0;
    for (int j = 0; j < hidden; ++j) {
      const float i = g[j], f = g[hidden + j], gg = g[2 * hidden + j], o = g[3 * hidden + j];
      const float tc = tanh_of(c[h0 + j]);
      const float dhj = dh[h0 + j];
      const float dct = dc[h0 + j] + dhj * o * (1.0f - tc * tc);
      d[j] = dct * gg * i * (1.0f - i);
      d[hidden + j] = dct * c_prev[h0 + j] * f * (1.0f - f);
      d[2 * hidden + j] = dct * i * (1.0f - gg * gg);
      d[3 * hidden + j] = dhj * tc * o * (1.0f - o);
      dc[h0 + j] = dct * f;
    }
  }
}

}  // namespace

// Each wrapper hands blocks of rows to the loops above; row b's arithmetic
// is the same whichever block it falls in.

void gru_forward(const float* gi, const float* gh, const float* h_prev, int batch, int hidden,
                 float* gates, float* h) {
  attention::kernels::for_row_blocks(batch, 3 * hidden, [&](int first, int last) {
    const std::int64_t g0 = 3 * static_cast<std::int64_t>(first) * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(first) * hidden;
    gru_forward_rows(gi + g0, gh + g0, h_prev + h0, last - first, hidden, gates + g0, h + h0);
  });
}

void gru_backward(const float* dh, const float* gates, const float* gh, const float* h_prev,
                  int batch, int hidden, float* d_gi, float* d_gh, float* dh_prev) {
  attention::kernels::for_row_blocks(batch, 3 * hidden, [&](int first, int last) {
    const std::int64_t g0 = 3 * static_cast<std::int64_t>(first) * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(first) * hidden;
    gru_backward_rows(dh + h0, gates + g0, gh + g0, h_prev + h0, last - first, hidden, d_gi + g0,
                      d_gh + g0, dh_prev + h0);
  });
}

void lstm_forward(const float* gi, const float* gh, const float* c_prev, int batch, int hidden,
                  float* gates, float* c, float* h) {
  attention::kernels::for_row_blocks(batch, 4 * hidden, [&](int first, int last) {
    const std::int64_t g0 = 4 * static_cast<std::int64_t>(first) * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(first) * hidden;
    lstm_forward_rows(gi + g0, gh + g0, c_prev + h0, last - first, hidden, gates + g0, c + h0,
                      h + h0);
  });
}

void lstm_backward(const float* dh, const float* gates, const float* c, const float* c_prev,
                   int batch, int hidden, float* d_pre, float* dc) {
  attention::kernels::for_row_blocks(batch, 4 * hidden, [&](int first, int last) {
    const std::int64_t g0 = 4 * static_cast<std::int64_t>(first) * hidden;
    const std::int64_t h0 = static_cast<std::int64_t>(first) * hidden;
    lstm_backward_rows(dh + h0, gates + g0, c + h0, c_prev + h0, last - first, hidden, d_pre + g0,
                       dc + h0);
  });
}

}  // namespace attnlab::models::kernels
