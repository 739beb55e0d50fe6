// One contract, every registered scorer: shapes, weights that sum to one with
// exactly zero on padding, gradients that reach every parameter, and the same
// numbers from the same seed. Plus golden values for each scorer on a tiny
// hand-computed case.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "attention/attend.h"
#include "attention/multihead.h"
#include "attention/registry.h"
#include "base/text.h"

namespace attnlab::attention {
namespace {

constexpr int kB = 3, kS = 5, kH = 8;

ScorerOptions options(int query, int memory, int max_source, int heads = 2) {
  ScorerOptions o;
  o.query_size = query;
  o.memory_size = memory;
  o.max_source_length = max_source;
  o.heads = heads;
  return o;
}

struct Inputs {
  torch::Tensor query, memory, mask;
};

Inputs make_inputs() {
  torch::manual_seed(3);
  Inputs in;
  in.query = torch::randn({kB, kH});
  in.memory = torch::randn({kB, kS, kH});
  // Lengths 5, 3, 1: the last two rows have padding.
  in.mask = torch::arange(kS).unsqueeze(0).lt(torch::tensor({5, 3, 1}).unsqueeze(1));
  in.memory = in.memory.masked_fill(in.mask.logical_not().unsqueeze(2), 0.0);
  return in;
}

std::vector<std::string> scorer_names() {
  std::vector<std::string> names;
  for (const auto& n : attention_names()) {
    if (n != "none") names.push_back(n);
  }
  return names;
}

class ScorerContract : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<ScorerImpl> make() {
    torch::manual_seed(1);
    return make_scorer(GetParam(), options(kH, kH, kS));
  }
};

TEST_P(ScorerContract, WeightsSumToOneWithExactZerosOnPadding) {
  auto scorer = make();
  const Inputs in = make_inputs();
  const auto keys = scorer->project_keys(in.memory);
  EXPECT_EQ(keys.size(0), kB);
  EXPECT_EQ(keys.size(1), kS);
  const auto energies = scorer->score(in.query, keys);
  EXPECT_EQ(energies.size(0), kB);
  EXPECT_EQ(energies.size(-1), kS);
  const AttentionResult r = scorer->read(in.query, keys, in.memory, in.mask, /*step=*/1);
  EXPECT_EQ(r.context.sizes(), (std::vector<std::int64_t>{kB, kH}));
  if (GetParam() == "local_p") {  // Luong's eq. 10 weighs a softmax by a Gaussian: at most one
    EXPECT_TRUE(r.weights.sum(1).le(1 + 1e-6).all().item<bool>());
  } else {
    EXPECT_TRUE(torch::allclose(r.weights.sum(1), torch::ones({kB})));
  }
  EXPECT_TRUE(r.weights.ge(0).all().item<bool>());
  // Exactly zero, not merely small.
  EXPECT_EQ(r.weights.masked_select(in.mask.logical_not()).abs().max().item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(r.weights[2][0].item<float>(), 1.0f);  // one real token takes it all
}

TEST_P(ScorerContract, GradientsReachEveryParameter) {
  auto scorer = make();
  const Inputs in = make_inputs();
  const auto query = in.query.clone().requires_grad_(true);
  const auto r =
      scorer->read(query, scorer->project_keys(in.memory), in.memory, in.mask, /*step=*/1);
  r.context.pow(2).sum().backward();
  EXPECT_GT(query.grad().abs().sum().item<float>(), 0.0f);
  for (const auto& p : scorer->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
  }
}

TEST_P(ScorerContract, SameSeedSameNumbers) {
  const Inputs in = make_inputs();
  auto a = make();
  auto b = make();
  const auto ea = a->score(in.query, a->project_keys(in.memory));
  const auto eb = b->score(in.query, b->project_keys(in.memory));
  EXPECT_TRUE(torch::equal(ea, eb));
}

INSTANTIATE_TEST_SUITE_P(AllScorers, ScorerContract, ::testing::ValuesIn(scorer_names()),
                         [](const auto& p) { return p.param; });

TEST(Registry, NoneHasNoScorerAndUnknownNamesListTheValidOnes) {
  EXPECT_EQ(make_scorer("none", options(4, 4, 4)), nullptr);
  try {
    make_scorer("luong", options(4, 4, 4));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown attention 'luong'; valid: " + base::join(attention_names()));
  }
  const auto names = attention_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "none");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
}

TEST(DotScorer, GoldenValues) {
  auto dot = make_scorer("dot", options(2, 2, 3));
  const auto query = torch::tensor({{1.0f, 2.0f}});
  const auto memory = torch::tensor({{{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}}});
  const auto mask = torch::tensor({{true, true, false}});
  const auto energies = dot->score(query, dot->project_keys(memory));
  EXPECT_TRUE(torch::equal(energies, torch::tensor({{1.0f, 2.0f, 3.0f}})));
  const auto r = attend(energies, memory, mask);
  const float e = std::exp(1.0f);  // softmax(1, 2) = (1, e) / (1 + e)
  EXPECT_NEAR(r.weights[0][0].item<float>(), 1 / (1 + e), 1e-6);
  EXPECT_NEAR(r.weights[0][1].item<float>(), e / (1 + e), 1e-6);
  EXPECT_NEAR(r.context[0][1].item<float>(), e / (1 + e), 1e-6);
  EXPECT_THROW(make_scorer("dot", options(2, 3, 3)), c10::Error);
}

TEST(ScaledDotScorer, GoldenValues) {
  auto scaled = make_scorer("scaled_dot", options(4, 4, 2));
  const auto query = torch::tensor({{1.0f, 1.0f, 1.0f, 1.0f}});
  const auto memory = torch::tensor({{{1.0f, 0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f, 1.0f}}});
  // q.k / sqrt(4): 1/2 and 4/2.
  EXPECT_TRUE(torch::allclose(scaled->score(query, scaled->project_keys(memory)),
                              torch::tensor({{0.5f, 2.0f}})));
}

TEST(GeneralScorer, GoldenValuesWithSetWeights) {
  auto general = make_scorer("general", options(2, 2, 2));
  torch::NoGradGuard no_grad;
  // W_a = [[1, 2], [3, 4]]: h_t^T W_a h_s with h_t = (1, 0) picks W_a's first row.
  general->named_parameters()["w_a.weight"].copy_(torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}));
  const auto memory = torch::tensor({{{1.0f, 0.0f}, {0.0f, 1.0f}}});
  EXPECT_TRUE(
      torch::allclose(general->score(torch::tensor({{1.0f, 0.0f}}), general->project_keys(memory)),
                      torch::tensor({{1.0f, 2.0f}})));
}

TEST(ConcatScorer, GoldenValuesWithSetWeights) {
  auto concat = make_scorer("concat", options(1, 1, 2));
  torch::NoGradGuard no_grad;
  auto params = concat->named_parameters();
  params["w_q.weight"].fill_(1.0);
  params["w_k.weight"].fill_(2.0);
  params["v_a.weight"].fill_(3.0);
  // v tanh(W_q h_t + W_k h_s) = 3 tanh(0.5 + 2 h_s) for h_t = 0.5, h_s in {0, 1}.
  const auto energies = concat->score(torch::tensor({{0.5f}}),
                                      concat->project_keys(torch::tensor({{{0.0f}, {1.0f}}})));
  EXPECT_NEAR(energies[0][0].item<float>(), 3 * std::tanh(0.5f), 1e-6);
  EXPECT_NEAR(energies[0][1].item<float>(), 3 * std::tanh(2.5f), 1e-6);
}

TEST(LocationScorer, UsesOneWeightRowPerPositionAndChecksLength) {
  auto location = make_scorer("location", options(2, 2, 3));
  torch::NoGradGuard no_grad;
  auto params = location->named_parameters();
  params["w_a.weight"].copy_(torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}}));
  params["w_a.bias"].zero_();
  const auto memory = torch::zeros({1, 2, 2});
  // Only the first S = 2 rows of W_a: (h_1, h_2) for h_t = (2, 5).
  EXPECT_TRUE(torch::equal(location->score(torch::tensor({{2.0f, 5.0f}}), memory),
                           torch::tensor({{2.0f, 5.0f}})));
  EXPECT_THROW(location->score(torch::tensor({{2.0f, 5.0f}}), torch::zeros({1, 4, 2})), c10::Error);
}

ScorerOptions local(int size, int window, const std::string& content) {
  ScorerOptions o = options(size, size, 8);
  o.window = window;
  o.content = content;
  return o;
}

TEST(LocalMScorer, AttendsWithinTheWindowAroundTheTargetPosition) {
  auto local_m = make_scorer("local_m", local(1, 1, "dot"));
  // Dot scores q h_s = s for q = 1 and h_s = s.
  const auto memory = torch::arange(5, torch::kFloat32).view({1, 5, 1}).repeat({2, 1, 1});
  const auto query = torch::ones({2, 1});
  // Row 0 has 5 real tokens, row 1 has 2.
  const auto mask = torch::arange(5).unsqueeze(0).lt(torch::tensor({5, 2}).unsqueeze(1));
  const auto keys = local_m->project_keys(memory);
  const auto r = local_m->read(query, keys, memory, mask, /*step=*/2);
  // Row 0: p_t = 2, the window [1, 3]: softmax(1, 2, 3) there, exact zeros outside.
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  const std::vector<double> row0 = {0, std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z, 0};
  for (int s = 0; s < 5; ++s)
    EXPECT_NEAR(r.weights[0][s].item<double>(), row0[s], 1e-6) << s;
  EXPECT_EQ(r.weights[0][0].item<float>(), 0.0f);
  EXPECT_EQ(r.weights[0][4].item<float>(), 0.0f);
  // Row 1: t = 2 is past its last token, so p_t = 1 and the window [0, 2]
  // holds its two tokens.
  const double e = std::exp(1.0);
  EXPECT_NEAR(r.weights[1][0].item<double>(), 1 / (1 + e), 1e-6);
  EXPECT_NEAR(r.weights[1][1].item<double>(), e / (1 + e), 1e-6);
  EXPECT_NEAR(r.context[1][0].item<double>(), e / (1 + e), 1e-6);
  // The first step looks at [0, 1] only.
  const auto first = local_m->read(query, keys, memory, mask, 0);
  EXPECT_NEAR(first.weights[0][1].item<double>(), e / (1 + e), 1e-6);
  EXPECT_EQ(first.weights[0].slice(0, 2).abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(make_scorer("local_m", local(1, 0, "dot")), c10::Error);
  EXPECT_THROW(make_scorer("local_m", local(1, 1, "location")), c10::Error);
}

TEST(LocalPScorer, PredictsThePositionAndWeighsTheWindowByAGaussian) {
  auto local_p = make_scorer("local_p", local(1, 2, "dot"));
  torch::NoGradGuard no_grad;
  // v_p = 0: sigmoid(0) = 1/2, so p_t = (S - 1) / 2 whatever the state.
  local_p->named_parameters()["v_p.weight"].zero_();
  const auto memory = torch::ones({2, 5, 1});
  const auto query = torch::zeros({2, 1});  // dot scores 0: a uniform softmax in the window
  const auto mask = torch::arange(5).unsqueeze(0).lt(torch::tensor({5, 4}).unsqueeze(1));
  const auto r = local_p->read(query, local_p->project_keys(memory), memory, mask, /*step=*/0);
  // Row 0: p_t = 2, D = 2, sigma = 1: all 5 positions, each 1/5 exp(-(s - 2)^2 / 2).
  // Row 1: p_t = 1.5, its 4 tokens, each 1/4 exp(-(s - 1.5)^2 / 2).
  for (int s = 0; s < 5; ++s) {
    EXPECT_NEAR(r.weights[0][s].item<double>(), std::exp(-(s - 2.0) * (s - 2.0) / 2) / 5, 1e-6);
    const double row1 = s < 4 ? std::exp(-(s - 1.5) * (s - 1.5) / 2) / 4 : 0.0;
    EXPECT_NEAR(r.weights[1][s].item<double>(), row1, 1e-6) << s;
  }
  EXPECT_EQ(r.weights[1][4].item<float>(), 0.0f);
  // Not renormalised (eq. 10): the context is the weights' sum times h_s = 1.
  EXPECT_NEAR(r.context[0][0].item<double>(), r.weights[0].sum().item<double>(), 1e-6);
  EXPECT_LT(r.weights[0].sum().item<double>(), 1.0);
  // A strongly positive v_p^T tanh(W_p h_t) puts p_t at the last position.
  local_p->named_parameters()["v_p.weight"].fill_(100.0);
  local_p->named_parameters()["w_p.weight"].fill_(1.0);
  const auto late =
      local_p->read(torch::ones({2, 1}), local_p->project_keys(memory), memory, mask, 0);
  EXPECT_EQ(late.weights[0].argmax().item<std::int64_t>(), 4);
  EXPECT_EQ(late.weights[1].argmax().item<std::int64_t>(), 3);
  EXPECT_EQ(late.weights[0][1].item<float>(), 0.0f);  // |1 - 4| > D
}

TEST(AdditiveScorer, GoldenValuesWithSetWeights) {
  auto additive = make_scorer("additive", options(1, 1, 2));
  torch::NoGradGuard no_grad;
  auto params = additive->named_parameters();
  params["w_a.weight"].fill_(1.0);
  params["w_a.bias"].fill_(0.5);
  params["u_a.weight"].fill_(-1.0);
  params["v_a.weight"].fill_(2.0);
  // v tanh(W s + b + U h) = 2 tanh(s + 0.5 - h) for s = 1, h in {0, 3}.
  const auto energies = additive->score(torch::tensor({{1.0f}}),
                                        additive->project_keys(torch::tensor({{{0.0f}, {3.0f}}})));
  EXPECT_NEAR(energies[0][0].item<float>(), 2 * std::tanh(1.5f), 1e-6);
  EXPECT_NEAR(energies[0][1].item<float>(), 2 * std::tanh(-1.5f), 1e-6);
}

TEST(MultiheadScorer, GoldenValuesWithIdentityProjections) {
  // Two heads of size 1 with every projection the identity: head i scores
  // q_i k_i / sqrt(1) and reads v_i; the weights are the heads' mean.
  auto multihead = make_scorer("multihead", options(2, 2, 2, 2));
  torch::NoGradGuard no_grad;
  for (auto& p : multihead->named_parameters()) {
    if (p.key().find("weight") != std::string::npos) {
      p.value().copy_(torch::eye(2));
    } else {
      p.value().zero_();
    }
  }
  const auto memory = torch::tensor({{{1.0f, 0.0f}, {0.0f, 2.0f}}});
  const auto query = torch::tensor({{1.0f, 1.0f}});
  const auto keys = multihead->project_keys(memory);
  EXPECT_TRUE(torch::allclose(multihead->score(query, keys),
                              torch::tensor({{{1.0f, 0.0f}, {0.0f, 2.0f}}})));
  const auto r = multihead->read(query, keys, memory, torch::tensor({{true, true}}), 0);
  const float e1 = std::exp(1.0f), e2 = std::exp(2.0f);
  const float head1_first = e1 / (e1 + 1), head2_first = 1 / (1 + e2);
  EXPECT_NEAR(r.weights[0][0].item<float>(), (head1_first + head2_first) / 2, 1e-6);
  // Head 1 reads memory's first coordinate (1, 0); head 2 the second (0, 2).
  EXPECT_NEAR(r.context[0][0].item<float>(), head1_first, 1e-6);
  EXPECT_NEAR(r.context[0][1].item<float>(), 2 * (1 - head2_first), 1e-6);
  EXPECT_THROW(make_scorer("multihead", options(6, 6, 2, 4)), c10::Error);
}

TEST(MaskedSoftmax, FullyPaddedRowsGiveZerosNotNaN) {
  const auto energies = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}).requires_grad_(true);
  const auto mask = torch::tensor({{true, false}, {false, false}});
  const auto weights = masked_softmax(energies, mask);
  EXPECT_TRUE(torch::equal(weights.detach(), torch::tensor({{1.0f, 0.0f}, {0.0f, 0.0f}})));
  weights.sum().backward();
  EXPECT_FALSE(energies.grad().isnan().any().item<bool>());
}

TEST(MaskedSoftmax, RejectsMismatchedShapesAndNonBoolMasks) {
  EXPECT_THROW(masked_softmax(torch::zeros({2, 3}), torch::ones({2, 4}, torch::kBool)), c10::Error);
  EXPECT_THROW(masked_softmax(torch::zeros({2, 3}), torch::ones({2, 3})), c10::Error);
}

TEST(MaskedSoftmax, BroadcastsAMaskOverHeadsAndQueries) {
  const auto energies = torch::zeros({1, 2, 3, 3});  // [B, h, T, S]
  const auto causal = torch::ones({3, 3}, torch::kBool).tril();
  const auto weights = masked_softmax(energies, causal);
  EXPECT_TRUE(torch::allclose(weights[0][1][1], torch::tensor({0.5f, 0.5f, 0.0f})));
  EXPECT_TRUE(torch::allclose(weights.sum(-1), torch::ones({1, 2, 3})));
}

}  // namespace
}  // namespace attnlab::attention
