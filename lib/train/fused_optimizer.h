// The optimiser step of the fused engine (models/fused_engine.h): Adam and
// gradient-norm clipping as one raw loop per parameter instead of about
// ten LibTorch ops each. Same arithmetic as torch::optim::Adam and
// torch::nn::utils::clip_grad_norm_, and the same optimiser state, so
// checkpoints move between engines. CPU, fp32, contiguous parameters.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace attnlab::train {

// torch::optim::Adam without weight decay or AMSGrad (the trainer uses
// neither), stepping each parameter in one pass.
class FusedAdam : public torch::optim::Adam {
 public:
  FusedAdam(std::vector<torch::Tensor> parameters, torch::optim::AdamOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
};

// Scales every gradient by min(1, max_norm / (norm + 1e-6)), where norm is
// the L2 norm of all gradients together (accumulated in fp64).
void clip_grad_norm_cpu(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace attnlab::train
