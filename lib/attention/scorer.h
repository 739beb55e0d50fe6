// The scorer interface: a scoring function turns a decoder query and the
// encoder states into one energy per source position. Key projections that
// depend only on the source are computed once per sequence by project_keys()
// and passed back in, not hidden in the scorer's state, so a scorer needs no
// priming and can be shared by any decoder.
//
// Shapes (lib/README.md): B batch, S source length, H hidden.
//   query    [B, Hq]    the decoder state the scorer compares
//   memory   [B, S, Hm] the encoder states
//   keys     [B, S, K]  project_keys(memory)
//   energies [B, S]     ([B, heads, S] for multihead)
//   mask     [B, S]     bool, true on real source positions
#pragma once

#include <torch/torch.h>

#include "attention/attend.h"

namespace attnlab::attention {

struct ScorerOptions {
  int query_size = 0;         // Hq
  int memory_size = 0;        // Hm
  int max_source_length = 0;  // longest source the model will see (location scoring)
  int heads = 1;              // attention heads (multihead scoring)
};

class ScorerImpl : public torch::nn::Module {
 public:
  // Keys for score(); called once per source sequence.
  virtual torch::Tensor project_keys(const torch::Tensor& memory) = 0;
  // Unnormalised energies of `query` against every position of `keys`.
  virtual torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) = 0;
  // One attention read: weights over the source and the context [B, Hm].
  // Default: attend(score(query, keys), memory, mask). Scorers that read
  // their own projection of the memory (multihead) override it.
  virtual AttentionResult read(const torch::Tensor& query, const torch::Tensor& keys,
                               const torch::Tensor& memory, const torch::Tensor& mask) {
    return attend(score(query, keys), memory, mask);
  }
};

}  // namespace attnlab::attention
