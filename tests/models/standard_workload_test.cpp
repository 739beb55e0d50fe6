// The fused implementation of the standard workload must be the same
// function as the modules one: same loss, same gradient for every parameter.
#include "models/standard_workload.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

namespace attnlab::models {
namespace {

struct Pass {
  double loss = 0;
  std::vector<torch::Tensor> gradients;
};

Pass run(StandardWorkload& model, const WorkloadBatch& batch, Implementation implementation) {
  model->zero_grad();
  const auto loss = model->loss(batch, implementation);
  loss.backward();
  Pass pass{loss.item<double>(), {}};
  for (const auto& p : model->parameters())
    pass.gradients.push_back(p.grad().clone());
  return pass;
}

class StandardWorkloadTest : public ::testing::TestWithParam<WorkloadSizes> {};

TEST_P(StandardWorkloadTest, FusedLossAndGradientsEqualTheModules) {
  torch::manual_seed(3);
  StandardWorkload model(GetParam());
  auto generator = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto batch = workload_batch(GetParam(), generator);
  const Pass modules = run(model, batch, Implementation::modules);
  const Pass fused = run(model, batch, Implementation::fused);
  EXPECT_NEAR(fused.loss, modules.loss, 1e-5);
  const auto names = model->named_parameters().keys();
  ASSERT_EQ(fused.gradients.size(), modules.gradients.size());
  for (size_t i = 0; i < fused.gradients.size(); ++i) {
    const auto& a = fused.gradients[i];
    const auto& b = modules.gradients[i];
    ASSERT_EQ(a.sizes(), b.sizes()) << names[i];
    EXPECT_GT(b.abs().max().item<double>(), 0) << names[i] << " gets no gradient";
    const double error = (a - b).abs().max().item<double>() / b.abs().max().item<double>();
    EXPECT_LT(error, 1e-4) << names[i];
  }
}

WorkloadSizes sizes(int vocab, int embedding, int hidden, int batch, int length) {
  WorkloadSizes z;
  z.vocab = vocab;
  z.embedding = embedding;
  z.hidden = hidden;
  z.batch = batch;
  z.length = length;
  return z;
}

INSTANTIATE_TEST_SUITE_P(Sizes, StandardWorkloadTest,
                         ::testing::Values(sizes(8, 5, 6, 3, 4), sizes(32, 16, 24, 17, 9),
                                           sizes(12, 32, 8, 1, 2)));

TEST(StandardWorkload, TrainingFlopsFollowTheDocumentedCount) {
  // Standard workload: S = T = 30, E = H = 256, V = 32, B = 64. Forward per
  // sequence: encoder 23,592,960 + keys 3,932,160 + decoder 35,389,440 +
  // attention 921,600 + output 983,040 = 64,819,200; times 3 B.
  EXPECT_DOUBLE_EQ(training_flops(WorkloadSizes{}), 12'445'286'400.0);
}

TEST(StandardWorkload, BatchesReverseTheSourceAfterBos) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto batch = workload_batch(sizes(10, 4, 4, 2, 5), generator);
  EXPECT_TRUE(batch.target_out.equal(batch.source.flip({1})));
  EXPECT_TRUE(batch.target_in.select(1, 0).eq(1).all().item<bool>());
  EXPECT_TRUE(batch.target_in.narrow(1, 1, 4).equal(batch.target_out.narrow(1, 0, 4)));
  EXPECT_GE(batch.source.min().item<std::int64_t>(), 3);
  EXPECT_LT(batch.source.max().item<std::int64_t>(), 10);
}

TEST(StandardWorkload, ImplementationNamesRoundTripAndUnknownOnesAreRefused) {
  EXPECT_EQ(implementation_of(implementation_name(Implementation::fused)), Implementation::fused);
  EXPECT_EQ(implementation_of("modules"), Implementation::modules);
  try {
    implementation_of("cudnn");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "unknown implementation 'cudnn'; valid: fused, modules");
  }
}

}  // namespace
}  // namespace attnlab::models
