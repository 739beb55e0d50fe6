// One step of a GRU or LSTM cell over B rows, and its backward, on raw
// contiguous fp32 buffers (the fused engine, fused_engine.h). The matrix
// products around them (input and hidden gates) are the caller's; these
// are the element-wise parts, in LibTorch's gate order.
//
// GRU (r, z, n):  r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z),
//                 n = tanh(gi_n + r gh_n), h = (1 - z) n + z h_prev
// LSTM (i, f, g, o): i, f, o = sigmoid(gi + gh), g = tanh(gi_g + gh_g),
//                 c = f c_prev + i g, h = o tanh(c)
// where gi = x W_ih^T + b_ih and gh = h_prev W_hh^T + b_hh.
#pragma once

namespace attnlab::models::kernels {

// Writes the activated gates [B, 3H] and h [B, H].
void gru_forward(const float* gi, const float* gh, const float* h_prev, int batch, int hidden,
                 float* gates, float* h);

// From dh = dL/dh [B, H]: writes the pre-activation gradients of the input
// side d_gi and the hidden side d_gh [B, 3H] (they differ in n: r dn on the
// hidden side), and the direct part of dL/dh_prev, dh z, to dh_prev.
void gru_backward(const float* dh, const float* gates, const float* gh, const float* h_prev,
                  int batch, int hidden, float* d_gi, float* d_gh, float* dh_prev);

// Writes the activated gates [B, 4H], c and h [B, H].
void lstm_forward(const float* gi, const float* gh, const float* c_prev, int batch, int hidden,
                  float* gates, float* c, float* h);

// From dh [B, H] and dc = dL/dc from later steps [B, H]: writes the
// pre-activation gradient d_pre [B, 4H] (input and hidden side alike) and
// replaces dc by dL/dc_prev.
void lstm_backward(const float* dh, const float* gates, const float* c, const float* c_prev,
                   int batch, int hidden, float* d_pre, float* dc);

}  // namespace attnlab::models::kernels
