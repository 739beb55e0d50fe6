// The fused engine's optimiser step is LibTorch's, in other loops: Adam's
// parameters and state after several steps, and clipped gradients, must
// match torch::optim::Adam and torch::nn::utils::clip_grad_norm_ to fp32
// rounding (relative 1e-5: a few roundings of each update).
#include "train/fused_optimizer.h"

#include <gtest/gtest.h>

namespace attnlab::train {
namespace {

std::vector<torch::Tensor> parameters() {
  torch::manual_seed(5);
  return {torch::randn({7, 3}).requires_grad_(), torch::randn({11}).requires_grad_()};
}

void set_gradients(std::vector<torch::Tensor>& params, int step) {
  torch::manual_seed(100 + step);
  for (auto& p : params)
    p.mutable_grad() = torch::randn_like(p) * (step + 1);
}

TEST(FusedOptimizer, AdamStepsEqualLibTorchsAdam) {
  auto fused_params = parameters();
  auto reference_params = parameters();
  const auto options = torch::optim::AdamOptions(0.01).betas({0.8, 0.95}).eps(1e-7);
  FusedAdam fused(fused_params, options);
  torch::optim::Adam reference(reference_params, options);
  for (int step = 0; step < 5; ++step) {
    set_gradients(fused_params, step);
    set_gradients(reference_params, step);
    fused.step();
    reference.step();
  }
  for (size_t i = 0; i < fused_params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(fused_params[i], reference_params[i], 1e-5, 1e-6)) << i;
  }
  // The same state, so that a checkpoint loads into either optimiser.
  torch::serialize::OutputArchive archive;
  fused.save(archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  std::istringstream in(bytes.str());
  torch::serialize::InputArchive loaded;
  loaded.load_from(in);
  torch::optim::Adam restored(reference_params, options);
  restored.load(loaded);
  const auto& state =
      static_cast<const torch::optim::AdamParamState&>(*restored.state().begin()->second);
  EXPECT_EQ(state.step(), 5);
}

TEST(FusedOptimizer, ClippingEqualsLibTorchsAndLeavesSmallGradientsAlone) {
  auto fused_params = parameters();
  auto reference_params = parameters();
  set_gradients(fused_params, 3);
  set_gradients(reference_params, 3);
  clip_grad_norm_cpu(fused_params, 1.5);
  torch::nn::utils::clip_grad_norm_(reference_params, 1.5);
  for (size_t i = 0; i < fused_params.size(); ++i) {
    EXPECT_TRUE(torch::allclose(fused_params[i].grad(), reference_params[i].grad(), 1e-5, 1e-7));
  }
  double norm = 0;
  for (const auto& p : fused_params)
    norm += p.grad().pow(2).sum().item<double>();
  EXPECT_NEAR(std::sqrt(norm), 1.5, 1e-5);
  const auto before = fused_params[0].grad().clone();
  clip_grad_norm_cpu(fused_params, 100.0);
  EXPECT_TRUE(fused_params[0].grad().equal(before));
}

}  // namespace
}  // namespace attnlab::train
