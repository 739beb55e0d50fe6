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
//   step     the target position t of the query (0 for the first output);
//            only local attention (local_m.h, local_p.h) reads it
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "attention/attend.h"

namespace attnlab::attention {

// One step of the fused engine (models/fused_engine.h): raw contiguous fp32
// buffers on the CPU, no autograd.
struct FusedStep {
  int batch = 0;                  // B
  int source = 0;                 // S
  int memory_size = 0;            // Hm
  const float* query = nullptr;   // [B, Hq]
  const float* keys = nullptr;    // [B, S, K], project_keys(memory)
  const float* memory = nullptr;  // [B, S, Hm]
  const bool* mask = nullptr;     // [B, S], true on real positions
  float* energies = nullptr;      // B S floats the read may overwrite
  float* scratch = nullptr;       // fused_scratch(B, S) floats the scorer may overwrite
};

struct ScorerOptions {
  int query_size = 0;               // Hq
  int memory_size = 0;              // Hm
  int max_source_length = 0;        // longest source the model will see (location scoring)
  int heads = 1;                    // attention heads (multihead scoring)
  int window = 3;                   // local attention: D, the window [p_t - D, p_t + D]
  std::string content = "general";  // local attention: its content score (dot, general, concat)
};

class ScorerImpl : public torch::nn::Module {
 public:
  // Keys for score(); called once per source sequence.
  virtual torch::Tensor project_keys(const torch::Tensor& memory) = 0;
  // Unnormalised energies of `query` against every position of `keys`.
  virtual torch::Tensor score(const torch::Tensor& query, const torch::Tensor& keys) = 0;
  // One attention read at target position `step`: weights over the source
  // and the context [B, Hm]. Default: attend(score(query, keys), memory,
  // mask). Scorers that read their own projection of the memory (multihead)
  // or only a window of it (local attention) override it.
  virtual AttentionResult read(const torch::Tensor& query, const torch::Tensor& keys,
                               const torch::Tensor& memory, const torch::Tensor& mask,
                               std::int64_t /*step*/) {
    return attend(score(query, keys), memory, mask);
  }

  // FLOPs (a multiply-add is 2) of the matrix products of one query's
  // score() against `source` positions, and of project_keys() per source
  // position: what `attnlab bench train` counts for MFU.
  virtual double score_flops(int /*source*/) const { return 0; }
  virtual double key_flops() const { return 0; }

  // The fused engine: score() (or read()) on raw buffers and its backward,
  // written out. A scorer without them (has_fused() false) trains on the
  // modules path.
  virtual bool has_fused() const { return false; }
  // The parameters score() reads (not those of project_keys()), in the
  // order fused_score_backward() takes their gradients.
  virtual std::vector<torch::Tensor> score_parameters() { return {}; }
  // Floats of FusedStep::scratch needed for `batch` rows and `source` positions.
  virtual std::int64_t fused_scratch(int /*batch*/, int /*source*/) const { return 0; }
  // Writes energies [B, S] = score(query, keys).
  virtual void fused_score(const FusedStep& /*step*/, float* /*energies*/) const {}
  // From d_energies [B, S], adds to d_query [B, Hq], d_keys [B, S, K] and
  // d_parameters[i] (the gradient of score_parameters()[i], same shape).
  virtual void fused_score_backward(const FusedStep& /*step*/, const float* /*d_energies*/,
                                    float* /*d_query*/, float* /*d_keys*/,
                                    const std::vector<float*>& /*d_parameters*/) const {}
  // read() on the fused engine: writes weights [B, S] and context [B, Hm].
  // Default: fused_score(), then the masked softmax and the weighted sum
  // (kernels.h). A scorer that overrides read() overrides these two.
  virtual void fused_read(const FusedStep& step, float* weights, float* context) const;
  // Its backward from d_context [B, Hm], given the weights fused_read()
  // wrote: adds to d_query [B, Hq], d_memory [B, S, Hm], d_keys and
  // d_parameters (as fused_score_backward()).
  virtual void fused_read_backward(const FusedStep& step, const float* weights,
                                   const float* d_context, float* d_query, float* d_memory,
                                   float* d_keys, const std::vector<float*>& d_parameters) const;
};

}  // namespace attnlab::attention
