// Padded tensors for a list of examples.
//
// Shape legend (lib/README.md): B batch, S source length, T target length.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/task.h"

namespace attnlab::data {

struct Batch {
  torch::Tensor source;          // [B, S] int64, <pad> after each source
  torch::Tensor source_lengths;  // [B] int64
  torch::Tensor source_mask;     // [B, S] bool, true on real tokens
  torch::Tensor target_in;       // [B, T] int64: <bos> + target, padded
  torch::Tensor target_out;      // [B, T] int64: target + <eos>, padded
  torch::Tensor target_mask;     // [B, T] bool, true on positions that count
};

// REQUIRES: examples is not empty.
Batch make_batch(const std::vector<Example>& examples);

// The batch with its tensors on `device`, except source_lengths, which stay
// on the CPU where sequence packing wants them.
Batch to_device(Batch batch, const torch::Device& device);

}  // namespace attnlab::data
