// Raw fp32 CPU loops for the fused training engine (models/fused_engine.h)
// and the scorers' fused forward and backward: matrix products through
// cblas, activations, the masked softmax with its weighted sum, and the
// tanh score of additive and concat. Everything works on contiguous
// row-major buffers the caller owns; nothing allocates.
//
// The loops are compiled twice, for x86-64-v3 (AVX2, FMA) and for the
// baseline, and the loader picks one per CPU. exp, sigmoid and tanh use a
// polynomial exp (Cephes' expf, within 2 ulp), so they differ from
// LibTorch's in the last bits, as any two kernels do.
//
// Shapes: B batch, S source length, H width of the memory.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

namespace attnlab::attention::kernels {

// The untyped core of for_row_blocks below: call(body, first, last).
void for_row_blocks(int rows, std::int64_t row_size, void (*call)(void*, int, int), void* body);

// Runs body(first, last) over [0, rows) in one contiguous block per
// OpenMP thread (the threads LibTorch was given) when the rows hold at
// least about 32k values of work (`row_size` each), else once on this
// thread. Each row's arithmetic is the same either way. Allocates nothing.
template <typename Body>
void for_row_blocks(int rows, std::int64_t row_size, Body&& body) {
  using B = std::remove_reference_t<Body>;
  for_row_blocks(
      rows, row_size, [](void* b, int first, int last) { (*static_cast<B*>(b))(first, last); },
      const_cast<void*>(static_cast<const void*>(std::addressof(body))));
}

// C = alpha op(A) op(B) + beta C for row-major A, B, C, where op(X) is X or
// its transpose; op(A) is m x k, op(B) k x n, C m x n, and lda, ldb, ldc
// are the row strides of A, B and C as stored.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

// tanh in place over n values.
void tanh(float* x, std::int64_t n);

// weights [B, S] = softmax over s of energies [B, S] where mask [B, S] is
// true (mask may be null: all true); masked positions get 0 and a row with
// no true position all zeros, as attention::masked_softmax. Then context
// [B, H] = sum_s weights[b, s] memory[b, s].
void attend(const float* energies, const bool* mask, const float* memory, int batch, int source,
            int width, float* weights, float* context);

// The backward of attend from d_context [B, H]: writes d_energies [B, S]
// and adds weights[b, s] d_context[b] to d_memory [B, S, H].
void attend_backward(const float* weights, const float* memory, const float* d_context, int batch,
                     int source, int width, float* d_energies, float* d_memory);

// One row of attend() over `source` value rows `stride` floats apart (the
// first `width` of each are read): weights [S] from energies [S] where mask
// [S] (null: everywhere), context [width] their weighted sum.
void attend_rows(const float* energies, const bool* mask, const float* values, int stride,
                 int source, int width, float* weights, float* context);

// Its backward from d_context [width]: writes d_energies [S] and adds
// weights[s] d_context to each value row of d_values (same stride).
void attend_rows_backward(const float* weights, const float* values, int stride, int source,
                          int width, const float* d_context, float* d_energies, float* d_values);

// The tanh score of additive and concat attention:
//   energies[b, s] = sum_a v[a] tanh(keys[b, s, a] + projected[b, a])
// with keys [B, S, A] and the projected query [B, A].
void tanh_score(const float* keys, const float* projected, const float* v, int batch, int source,
                int size, float* energies);

// Its backward from d_energies [B, S]: adds to d_keys [B, S, A] and d_v [A],
// writes d_projected [B, A].
void tanh_score_backward(const float* keys, const float* projected, const float* v,
                         const float* d_energies, int batch, int source, int size, float* d_keys,
                         float* d_projected, float* d_v);

// The dot score and its backward: energies[b, s] = scale keys[b, s] . query[b];
// the backward adds to d_query [B, K] and d_keys [B, S, K].
void dot_score(const float* query, const float* keys, int batch, int source, int size, float scale,
               float* energies);
void dot_score_backward(const float* query, const float* keys, const float* d_energies, int batch,
                        int source, int size, float scale, float* d_query, float* d_keys);

// In place over each row of x [rows, n]: x - log(sum(exp(x))).
void log_softmax(float* x, int rows, int n);

// out[j] += sum over rows of x [rows, n].
void add_column_sums(const float* x, int rows, int n, float* out);

// The whole score of additive and concat attention, one step:
//   energies[b, s] = v . tanh(keys[b, s] + W query[b] + bias)
// with W [A, Hq], bias [A] (null: none), v [A], keys [B, S, A], and
// scratch of 2 B A floats.
void projected_tanh_score(const float* query, const float* keys, const float* w, const float* bias,
                          const float* v, int batch, int source, int query_size, int size,
                          float* scratch, float* energies);

// Its backward from d_energies [B, S]: adds to d_query [B, Hq],
// d_keys [B, S, A], d_w [A, Hq], d_bias [A] (null without bias) and d_v [A].
void projected_tanh_score_backward(const float* query, const float* keys, const float* w,
                                   const float* bias, const float* v, const float* d_energies,
                                   int batch, int source, int query_size, int size, float* scratch,
                                   float* d_query, float* d_keys, float* d_w, float* d_bias,
                                   float* d_v);

}  // namespace attnlab::attention::kernels
