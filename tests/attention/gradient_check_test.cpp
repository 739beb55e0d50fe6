// Finite-difference gradient checks in double precision: for every scorer,
// the analytic gradient of a scalar function of one attention read matches
// central differences, with respect to the query, the memory and every
// parameter.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attention/registry.h"

namespace attnlab::attention {
namespace {

constexpr int kB = 2, kS = 3, kH = 4;
constexpr double kStep = 1e-6;

std::vector<std::string> scorer_names() {
  std::vector<std::string> names;
  for (const auto& n : attention_names()) {
    if (n != "none") names.push_back(n);
  }
  return names;
}

class GradientCheck : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientCheck, AnalyticGradientsMatchCentralDifferences) {
  torch::manual_seed(7);
  ScorerOptions options;
  options.query_size = kH;
  options.memory_size = kH;
  options.max_source_length = kS;
  options.heads = 2;
  options.window = 1;  // local attention: a window that leaves positions out
  auto scorer = make_scorer(GetParam(), options);
  scorer->to(torch::kFloat64);
  const auto dtype = torch::TensorOptions().dtype(torch::kFloat64);
  auto query = torch::randn({kB, kH}, dtype).requires_grad_(true);
  auto memory = torch::randn({kB, kS, kH}, dtype).requires_grad_(true);
  const auto mask = torch::tensor({{true, true, true}, {true, true, false}});
  const auto probe_context = torch::randn({kB, kH}, dtype);
  const auto probe_weights = torch::randn({kB, kS}, dtype);
  // A scalar that depends on both outputs of the read, with no symmetry.
  const auto objective = [&] {
    const auto r = scorer->read(query, scorer->project_keys(memory), memory, mask, /*step=*/0);
    return (r.context * probe_context).sum() + (r.weights * probe_weights).sum();
  };

  std::vector<std::pair<std::string, torch::Tensor>> inputs = {{"query", query},
                                                               {"memory", memory}};
  for (const auto& p : scorer->named_parameters())
    inputs.emplace_back(p.key(), p.value());
  objective().backward();
  for (auto& [name, tensor] : inputs) {
    const auto analytic = tensor.grad().clone();
    auto flat = tensor.detach().view({-1});  // shares storage with `tensor`
    torch::NoGradGuard no_grad;
    for (std::int64_t i = 0; i < flat.numel(); ++i) {
      const double saved = flat[i].item<double>();
      flat[i] = saved + kStep;
      const double up = objective().item<double>();
      flat[i] = saved - kStep;
      const double down = objective().item<double>();
      flat[i] = saved;
      const double numeric = (up - down) / (2 * kStep);
      const double exact = analytic.view({-1})[i].item<double>();
      EXPECT_NEAR(exact, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
          << name << "[" << i << "]";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllScorers, GradientCheck, ::testing::ValuesIn(scorer_names()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace attnlab::attention
