// Hand-written CPU kernels of the fused standard workload
// (standard_workload.h): per decoder step, the attention read and its
// backward, and the GRU step's backward, each one pass over memory
// instead of several LibTorch ops. Batched LibTorch products (bmm) of these
// shapes (B rows of S x H by H) cost more than the cell's matrix products;
// here every row stays in cache between its scores and its context.
//
// Loops run over 8-float vectors: AVX2 and FMA on CPUs that have them
// (the function is compiled twice and picked at load time), SSE otherwise.
// All tensors are contiguous fp32 on the CPU. Shapes: B batch, S source
// length, H hidden.
#pragma once

#include <torch/torch.h>

namespace attnlab::models::kernels {

// Luong `general` attention of the current state h [B, H] over keys and
// memory [B, S, H]: scores keys[b, s] . h[b], weights = softmax over s
// (written to weights [B, S]), context[b] = sum_s weights[b, s] memory[b, s]
// (written to context [B, H]).
void attend(const torch::Tensor& keys, const torch::Tensor& memory, const torch::Tensor& h,
            torch::Tensor& weights, torch::Tensor& context);

// Its backward from dL/dcontext [B, H]: writes dL/dscores [B, S] (through
// the softmax) to d_scores and adds sum_s d_scores[b, s] keys[b, s] to dh.
// The gradients of keys and memory are sums over steps, left to the caller
// (one batched product for all steps).
void attend_backward(const torch::Tensor& keys, const torch::Tensor& memory,
                     const torch::Tensor& weights, const torch::Tensor& d_context,
                     torch::Tensor& d_scores, torch::Tensor& dh);

// One GRU step's backward from dh = dL/dh' [B, H], given the step's gates
// (r, z, n) [B, 3H], its hidden-side pre-activations gh [B, 3H] (for h_n)
// and the previous state: the gradients of the pre-activations, input side
// dgx = (dr, dz, dn) and hidden side dgh = (dr, dz, r dn) [B, 3H], and the
// direct part of dL/dh_prev, dh z [B, H].
void gru_backward(const torch::Tensor& dh, const torch::Tensor& gates, const torch::Tensor& gh,
                  const torch::Tensor& h_prev, torch::Tensor& dgx, torch::Tensor& dgh,
                  torch::Tensor& dh_prev);

}  // namespace attnlab::models::kernels
