// The default fused read: the scorer's energies, then the one masked
// softmax and weighted sum every scorer shares (attend.h, kernels.h).
#include "attention/scorer.h"

#include "attention/kernels.h"

namespace attnlab::attention {

void ScorerImpl::fused_read(const FusedStep& step, float* weights, float* context) const {
  fused_score(step, step.energies);
  kernels::attend(step.energies, step.mask, step.memory, step.batch, step.source, step.memory_size,
                  weights, context);
}

void ScorerImpl::fused_read_backward(const FusedStep& step, const float* weights,
                                     const float* d_context, float* d_query, float* d_memory,
                                     float* d_keys, const std::vector<float*>& d_parameters) const {
  kernels::attend_backward(weights, step.memory, d_context, step.batch, step.source,
                           step.memory_size, step.energies, d_memory);
  fused_score_backward(step, step.energies, d_query, d_keys, d_parameters);
}

}  // namespace attnlab::attention
