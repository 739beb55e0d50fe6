// Plain loops that GCC vectorises; target_clones builds an x86-64-v3 copy of
// each.
#include "attention/kernels.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attention/vector_math.h"

namespace attnlab::attention::kernels {

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (int i = 0; i < m; ++i) {
      float* row = c + static_cast<std::int64_t>(i) * ldc;
      for (int j = 0; j < n; ++j)
        row[j] = beta == 0 ? 0.0f : beta * row[j];
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void for_row_blocks(int rows, std::int64_t row_size, void (*call)(void*, int, int), void* body) {
  constexpr std::int64_t kParallelWork = 32768;
  const int threads = std::min(omp_get_max_threads(), rows);
  if (threads < 2 || rows * row_size < kParallelWork) {
    call(body, 0, rows);
    return;
  }
  const int block = (rows + threads - 1) / threads;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
  for (int i = 0; i < threads; ++i) {
    const int first = i * block;
    if (first < rows) call(body, first, std::min(rows, first + block));
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void tanh(float* __restrict x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i)
    x[i] = tanh_of(x[i]);
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void attend_rows(
    const float* __restrict energies, const bool* __restrict mask, const float* __restrict values,
    int stride, int source, int width, float* __restrict weights, float* __restrict context) {
  float top = -INFINITY;
  for (int s = 0; s < source; ++s) {
    if ((!mask || mask[s]) && energies[s] > top) top = energies[s];
  }
  float total = 0;
  for (int s = 0; s < source; ++s) {
    weights[s] = (!mask || mask[s]) ? exp_poly(energies[s] - top) : 0.0f;
    total += weights[s];
  }
  const float inverse = total > 0 ? 1.0f / total : 0.0f;
  std::fill(context, context + width, 0.0f);
  for (int s = 0; s < source; ++s) {
    weights[s] *= inverse;
    const float ws = weights[s];
    const float* row = values + static_cast<std::int64_t>(s) * stride;
    for (int j = 0; j < width; ++j)
      context[j] += ws * row[j];
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void attend_rows_backward(
    const float* __restrict weights, const float* __restrict values, int stride, int source,
    int width, const float* __restrict d_context, float* __restrict d_energies,
    float* __restrict d_values) {
  float weighted = 0;
  for (int s = 0; s < source; ++s) {
    const float* row = values + static_cast<std::int64_t>(s) * stride;
    float* d_row = d_values + static_cast<std::int64_t>(s) * stride;
    const float ws = weights[s];
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < width; ++j) {
      dot += row[j] * d_context[j];
      d_row[j] += ws * d_context[j];
    }
    d_energies[s] = dot;
    weighted += ws * dot;
  }
  for (int s = 0; s < source; ++s)
    d_energies[s] = weights[s] * (d_energies[s] - weighted);
}

void attend(const float* energies, const bool* mask, const float* memory, int batch, int source,
            int width, float* weights, float* context) {
  for_row_blocks(batch, static_cast<std::int64_t>(source) * width, [&](int first, int last) {
    for (int b = first; b < last; ++b) {
      const std::int64_t row = static_cast<std::int64_t>(b) * source;
      attend_rows(energies + row, mask ? mask + row : nullptr, memory + row * width, width, source,
                  width, weights + row, context + static_cast<std::int64_t>(b) * width);
    }
  });
}

void attend_backward(const float* weights, const float* memory, const float* d_context, int batch,
                     int source, int width, float* d_energies, float* d_memory) {
  for_row_blocks(batch, static_cast<std::int64_t>(source) * width, [&](int first, int last) {
    for (int b = first; b < last; ++b) {
      const std::int64_t row = static_cast<std::int64_t>(b) * source;
      attend_rows_backward(weights + row, memory + row * width, width, source, width,
                           d_context + static_cast<std::int64_t>(b) * width, d_energies + row,
                           d_memory + row * width);
    }
  });
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void tanh_score(
    const float* __restrict keys, const float* __restrict projected, const float* __restrict v,
    int batch, int source, int size, float* __restrict energies) {
  for (int b = 0; b < batch; ++b) {
    const float* p = projected + static_cast<std::int64_t>(b) * size;
    for (int s = 0; s < source; ++s) {
      const float* k = keys + (static_cast<std::int64_t>(b) * source + s) * size;
      float total = 0;
#pragma omp simd reduction(+ : total)
      for (int a = 0; a < size; ++a)
        total += v[a] * tanh_of(k[a] + p[a]);
      energies[static_cast<std::int64_t>(b) * source + s] = total;
    }
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void tanh_score_backward(
    const float* __restrict keys, const float* __restrict projected, const float* __restrict v,
    const float* __restrict d_energies, int batch, int source, int size, float* __restrict d_keys,
    float* __restrict d_projected, float* __restrict d_v) {
  for (int b = 0; b < batch; ++b) {
    const float* p = projected + static_cast<std::int64_t>(b) * size;
    float* dp = d_projected + static_cast<std::int64_t>(b) * size;
    std::fill(dp, dp + size, 0.0f);
    for (int s = 0; s < source; ++s) {
      const std::int64_t row = (static_cast<std::int64_t>(b) * source + s) * size;
      const float* k = keys + row;
      float* dk = d_keys + row;
      const float de = d_energies[static_cast<std::int64_t>(b) * source + s];
      for (int a = 0; a < size; ++a) {
        const float u = tanh_of(k[a] + p[a]);
        const float g = de * v[a] * (1.0f - u * u);
        dk[a] += g;
        dp[a] += g;
        d_v[a] += de * u;
      }
    }
  }
}

namespace {

[[gnu::target_clones("arch=x86-64-v3", "default")]] void dot_score_rows(
    const float* __restrict query, const float* __restrict keys, int batch, int source, int size,
    float scale, float* __restrict energies) {
  for (int b = 0; b < batch; ++b) {
    const float* q = query + static_cast<std::int64_t>(b) * size;
    for (int s = 0; s < source; ++s) {
      const float* k = keys + (static_cast<std::int64_t>(b) * source + s) * size;
      float total = 0;
#pragma omp simd reduction(+ : total)
      for (int a = 0; a < size; ++a)
        total += k[a] * q[a];
      energies[static_cast<std::int64_t>(b) * source + s] = scale * total;
    }
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void dot_score_backward_rows(
    const float* __restrict query, const float* __restrict keys, const float* __restrict d_energies,
    int batch, int source, int size, float scale, float* __restrict d_query,
    float* __restrict d_keys) {
  for (int b = 0; b < batch; ++b) {
    const float* q = query + static_cast<std::int64_t>(b) * size;
    float* dq = d_query + static_cast<std::int64_t>(b) * size;
    for (int s = 0; s < source; ++s) {
      const std::int64_t row = (static_cast<std::int64_t>(b) * source + s) * size;
      const float de = scale * d_energies[static_cast<std::int64_t>(b) * source + s];
      const float* k = keys + row;
      float* dk = d_keys + row;
      for (int a = 0; a < size; ++a) {
        dq[a] += de * k[a];
        dk[a] += de * q[a];
      }
    }
  }
}

}  // namespace

void dot_score(const float* query, const float* keys, int batch, int source, int size, float scale,
               float* energies) {
  for_row_blocks(batch, static_cast<std::int64_t>(source) * size, [&](int first, int last) {
    const std::int64_t row = static_cast<std::int64_t>(first) * size;
    dot_score_rows(query + row, keys + row * source, last - first, source, size, scale,
                   energies + static_cast<std::int64_t>(first) * source);
  });
}

void dot_score_backward(const float* query, const float* keys, const float* d_energies, int batch,
                        int source, int size, float scale, float* d_query, float* d_keys) {
  for_row_blocks(batch, static_cast<std::int64_t>(source) * size, [&](int first, int last) {
    const std::int64_t row = static_cast<std::int64_t>(first) * size;
    dot_score_backward_rows(query + row, keys + row * source,
                            d_energies + static_cast<std::int64_t>(first) * source, last - first,
                            source, size, scale, d_query + row, d_keys + row * source);
  });
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void log_softmax(float* __restrict x, int rows,
                                                                     int n) {
  for (int i = 0; i < rows; ++i) {
    float* row = x + static_cast<std::int64_t>(i) * n;
    float top = row[0];
    for (int j = 1; j < n; ++j)
      top = row[j] > top ? row[j] : top;
    float total = 0;
#pragma omp simd reduction(+ : total)
    for (int j = 0; j < n; ++j)
      total += exp_poly(row[j] - top);
    const float shift = top + std::log(total);
    for (int j = 0; j < n; ++j)
      row[j] -= shift;
  }
}

[[gnu::target_clones("arch=x86-64-v3", "default")]] void add_column_sums(const float* __restrict x,
                                                                         int rows, int n,
                                                                         float* __restrict out) {
  for (int i = 0; i < rows; ++i) {
    const float* row = x + static_cast<std::int64_t>(i) * n;
    for (int j = 0; j < n; ++j)
      out[j] += row[j];
  }
}

namespace {

// projected [B, A] = query W^T + bias.
void project_query(const float* query, const float* w, const float* bias, int batch, int query_size,
                   int size, float* projected) {
  for (int b = 0; b < batch; ++b) {
    float* row = projected + static_cast<std::int64_t>(b) * size;
    if (bias) {
      std::copy(bias, bias + size, row);
    } else {
      std::fill(row, row + size, 0.0f);
    }
  }
  gemm(false, true, batch, size, query_size, 1.0f, query, query_size, w, query_size, 1.0f,
       projected, size);
}

}  // namespace

void projected_tanh_score(const float* query, const float* keys, const float* w, const float* bias,
                          const float* v, int batch, int source, int query_size, int size,
                          float* scratch, float* energies) {
  project_query(query, w, bias, batch, query_size, size, scratch);
  tanh_score(keys, scratch, v, batch, source, size, energies);
}

void projected_tanh_score_backward(const float* query, const float* keys, const float* w,
                                   const float* bias, const float* v, const float* d_energies,
                                   int batch, int source, int query_size, int size, float* scratch,
                                   float* d_query, float* d_keys, float* d_w, float* d_bias,
                                   float* d_v) {
  float* projected = scratch;
  float* d_projected = scratch + static_cast<std::int64_t>(batch) * size;
  project_query(query, w, bias, batch, query_size, size, projected);
  tanh_score_backward(keys, projected, v, d_energies, batch, source, size, d_keys, d_projected,
                      d_v);
  gemm(false, false, batch, query_size, size, 1.0f, d_projected, size, w, query_size, 1.0f, d_query,
       query_size);
  gemm(true, false, size, query_size, batch, 1.0f, d_projected, size, query, query_size, 1.0f, d_w,
       query_size);
  if (d_bias) add_column_sums(d_projected, batch, size, d_bias);
}

}  // namespace attnlab::attention::kernels
