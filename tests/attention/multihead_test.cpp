// Our multi-head attention against LibTorch's torch::nn::MultiheadAttention
// with the same weights: outputs and head-averaged weights agree, with key
// padding and with a causal mask. LibTorch 1.13 *adds* a bool attn_mask to
// the scores, so its masks here are float (0 / -inf).
#include "attention/multihead.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

namespace attnlab::attention {
namespace {

constexpr int kB = 2, kT = 4, kS = 5, kD = 8, kHeads = 2;

struct Pair {
  std::shared_ptr<MultiheadScorerImpl> ours;
  torch::nn::MultiheadAttention theirs{nullptr};
};

Pair make_pair() {
  torch::manual_seed(11);
  ScorerOptions options;
  options.query_size = kD;
  options.memory_size = kD;
  options.heads = kHeads;
  Pair p;
  p.ours = std::make_shared<MultiheadScorerImpl>(options);
  p.theirs = torch::nn::MultiheadAttention(torch::nn::MultiheadAttentionOptions(kD, kHeads));
  torch::NoGradGuard no_grad;
  auto ours = p.ours->named_parameters();
  auto theirs = p.theirs->named_parameters();
  theirs["in_proj_weight"].copy_(
      torch::cat({ours["w_q.weight"], ours["w_k.weight"], ours["w_v.weight"]}));
  theirs["in_proj_bias"].copy_(torch::cat({ours["w_q.bias"], ours["w_k.bias"], ours["w_v.bias"]}));
  theirs["out_proj.weight"].copy_(ours["w_o.weight"]);
  theirs["out_proj.bias"].copy_(ours["w_o.bias"]);
  return p;
}

torch::Tensor float_mask(const torch::Tensor& keep) {
  return torch::zeros(keep.sizes())
      .masked_fill(keep.logical_not(), -std::numeric_limits<float>::infinity());
}

TEST(Multihead, MatchesLibTorchWithKeyPadding) {
  Pair p = make_pair();
  const auto queries = torch::randn({kB, kT, kD});
  const auto memory = torch::randn({kB, kS, kD});
  const auto keep = torch::arange(kS).unsqueeze(0).lt(torch::tensor({5, 2}).unsqueeze(1));
  const auto ours =
      p.ours->attend_sequence(queries, p.ours->project_keys(memory), keep.unsqueeze(1));
  // LibTorch takes [T, B, D]. Its 1.13 key_padding_mask ignored a float mask
  // and rejected a 3-d attn_mask here, so each row is compared on its own,
  // with its padding as a float [T, S] attn_mask.
  for (std::int64_t b = 0; b < kB; ++b) {
    const auto q = queries.slice(0, b, b + 1).transpose(0, 1);
    const auto m = memory.slice(0, b, b + 1).transpose(0, 1);
    const auto theirs = p.theirs->forward(q, m, m, /*key_padding_mask=*/{}, /*need_weights=*/true,
                                          float_mask(keep[b].unsqueeze(0).expand({kT, kS})));
    EXPECT_TRUE(torch::allclose(ours.context[b], std::get<0>(theirs).select(1, 0), 1e-5, 1e-6));
    EXPECT_TRUE(torch::allclose(ours.weights[b], std::get<1>(theirs)[0], 1e-5, 1e-6));
  }
  EXPECT_EQ(ours.weights.index({1, torch::indexing::Slice(), torch::indexing::Slice(2)})
                .abs()
                .max()
                .item<float>(),
            0.0f);
}

TEST(Multihead, MatchesLibTorchWithACausalMask) {
  Pair p = make_pair();
  const auto x = torch::randn({kB, kT, kD});
  const auto causal = torch::ones({kT, kT}, torch::kBool).tril();
  const auto ours = p.ours->attend_sequence(x, p.ours->project_keys(x), causal.unsqueeze(0));
  const auto xt = x.transpose(0, 1);
  const auto theirs = p.theirs->forward(xt, xt, xt, /*key_padding_mask=*/{},
                                        /*need_weights=*/true, float_mask(causal));
  EXPECT_TRUE(torch::allclose(ours.context, std::get<0>(theirs).transpose(0, 1), 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(ours.weights, std::get<1>(theirs), 1e-5, 1e-6));
}

}  // namespace
}  // namespace attnlab::attention
