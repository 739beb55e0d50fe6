// Masked softmax and the weighted sum: the only place attention weights are
// made, so every scorer (and the Transformer) shares the same masking
// guarantee.
#pragma once

#include <torch/torch.h>

namespace attnlab::attention {

struct AttentionResult {
  torch::Tensor context;  // [B, Hm] weighted sum of memory
  torch::Tensor weights;  // [B, S] non-negative, sum to one over unmasked positions
};

// Softmax over the last dimension of `energies` ([..., S]) where `mask` (bool,
// broadcastable to energies, e.g. [B, S], [B, 1, S] or [B, T, S]) is true;
// masked positions get exactly zero weight, and a row without any true
// position gets all zeros (never NaN).
torch::Tensor masked_softmax(const torch::Tensor& energies, const torch::Tensor& mask);

// Weights from energies [B, S] and mask [B, S], context as their weighted sum
// of memory [B, S, Hm].
AttentionResult attend(const torch::Tensor& energies, const torch::Tensor& memory,
                       const torch::Tensor& mask);

}  // namespace attnlab::attention
