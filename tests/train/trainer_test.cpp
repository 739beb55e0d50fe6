// Training really learns: every scorer, both decoders and the Transformer
// rise far above chance on short reverse sequences; beam search on a trained
// model never finds a worse sequence than greedy; the same seed gives the
// same numbers.
#include "train/trainer.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "attention/registry.h"
#include "data/batch.h"
#include "models/decoding.h"
#include "train/environment.h"

namespace attnlab::train {
namespace {

config::RunSettings short_reverse(const std::string& attention) {
  config::RunSettings s;
  s.task.vocab_size = 10;
  s.task.train_lengths = {1, 5};
  s.task.test_lengths = {1, 5};
  s.task.eval_examples = 100;
  s.model.embedding_size = 16;
  s.model.hidden_size = 32;
  s.attention.name = attention;
  s.train.steps = 600;
  s.train.batch_size = 32;
  s.train.lr = 0.005;
  s.train.log_every = 100;
  s.seed = 5;
  return s;
}

// The last logged training loss of `settings` on `device`, and the trainer.
double final_loss(const config::RunSettings& settings, const torch::Device& device,
                  std::unique_ptr<Trainer>* kept = nullptr) {
  double loss = -1;
  TrainCallbacks callbacks;
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& p) { loss = p.front().value; };
  auto trainer = std::make_unique<Trainer>(settings, device);
  trainer->run(callbacks);
  if (kept) *kept = std::move(trainer);
  return loss;
}

TEST(Trainer, AdditiveAttentionLearnsToReverseShortSequences) {
  torch::set_num_threads(1);
  Trainer trainer(short_reverse("additive"), torch::kCPU);
  std::vector<double> losses;
  TrainCallbacks callbacks;
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    losses.push_back(points.front().value);
  };
  const TrainResult result = trainer.run(callbacks);
  // Length 1 has 10 sources, none of them in the held-out tenth: it is not
  // evaluated. Length 2 has 100, about 10 held out; longer ones have plenty.
  ASSERT_EQ(result.evals.size(), 4u);
  ASSERT_EQ(losses.size(), 6u);
  EXPECT_LT(losses.back(), 0.5 * losses.front());
  EXPECT_EQ(result.evals[0].length, 2);
  EXPECT_GT(result.evals[0].n, 0);
  EXPECT_LT(result.evals[0].n, 30);
  EXPECT_EQ(result.evals[3].n, 100);
  // Chance exact match at length 5 with 10 symbols is 1e-5.
  double mean = 0;
  for (const auto& e : result.evals)
    mean += e.sequence_accuracy / 4;
  EXPECT_GT(mean, 0.6);
  EXPECT_GT(result.evals[3].sequence_accuracy, 0.2);
  EXPECT_GT(result.evals[3].token_accuracy, 0.6);
  EXPECT_LT(result.evals[3].error_rate, 0.4);
  ASSERT_FALSE(result.splits.empty());
  EXPECT_EQ(result.splits[0].split, "test");
  EXPECT_EQ(result.splits[0].n, result.evals[0].n + result.evals[1].n + result.evals[2].n + 100);
  // Decoded examples with attention rows that sum to one.
  ASSERT_FALSE(result.examples.empty());
  const auto& x = result.examples.front();
  ASSERT_EQ(x.weights.size(), x.output_tokens.size() * x.source_tokens.size());
  double row = 0;
  for (size_t j = 0; j < x.source_tokens.size(); ++j)
    row += x.weights[j];
  EXPECT_NEAR(row, 1.0, 1e-5);
}

double mean_exact_match(const TrainResult& result) {
  double mean = 0;
  for (const auto& e : result.evals)
    mean += e.sequence_accuracy / static_cast<double>(result.evals.size());
  return mean;
}

std::vector<std::string> scorers() {
  std::vector<std::string> names;
  for (const auto& n : attention::attention_names()) {
    if (n != "none") names.push_back(n);
  }
  return names;
}

// Chance exact match on lengths 1-5 with 10 symbols is below 2%.
class EveryScorerLearns : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryScorerLearns, WithTheLuongDecoder) {
  torch::set_num_threads(1);
  const TrainResult result = Trainer(short_reverse(GetParam()), torch::kCPU).run({});
  EXPECT_GT(mean_exact_match(result), 0.5) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Training, EveryScorerLearns, ::testing::ValuesIn(scorers()),
                         [](const auto& p) { return p.param; });

TEST(Trainer, BahdanauDecoderLearns) {
  torch::set_num_threads(1);
  auto settings = short_reverse("additive");
  settings.model.decoder = "bahdanau";
  EXPECT_GT(mean_exact_match(Trainer(settings, torch::kCPU).run({})), 0.5);
}

TEST(Trainer, TransformerLearns) {
  torch::set_num_threads(1);
  auto settings = short_reverse("multihead");
  settings.model.name = "transformer";
  settings.model.layers = 2;
  settings.model.ff_size = 64;
  settings.model.dropout = 0.0;
  settings.attention.heads = 4;
  EXPECT_GT(mean_exact_match(Trainer(settings, torch::kCPU).run({})), 0.5);
}

TEST(Trainer, ALargerBeamNeverLowersTheModelScore) {
  torch::set_num_threads(1);
  Trainer trainer(short_reverse("additive"), torch::kCPU);
  trainer.run({});
  auto settings = short_reverse("additive");
  settings.task.eval_examples = 50;
  auto& model = trainer.model();
  model.eval();
  torch::NoGradGuard no_grad;
  // Lengths 5 to 8 include some beyond training, where the model hesitates.
  int better = 0;
  for (int length = 5; length <= 8; ++length) {
    const auto batch =
        data::make_batch(data::evaluation_examples(trainer.task(), settings, length));
    const auto greedy = models::greedy_decode(model, batch);
    for (int beam : {2, 5}) {
      models::DecodeOptions options;
      options.beam_size = beam;
      const auto searched = models::beam_search(model, batch, options);
      // Rows are batched differently (B * beam rows), so the same sequence's
      // score may differ in the last float digits.
      EXPECT_TRUE(searched.scores.ge(greedy.scores - 1e-4).all().item<bool>())
          << "beam " << beam << ", length " << length;
      better += searched.scores.gt(greedy.scores + 1e-4).sum().item<int>();
    }
  }
  EXPECT_GT(better, 0);  // beam search did find better sequences somewhere
}

TEST(Trainer, SameSeedSameLoss) {
  torch::set_num_threads(1);
  auto settings = short_reverse("general");
  settings.train.steps = 30;
  settings.train.log_every = 30;
  settings.task.test_lengths = {1, 2};
  double a = -1, b = -2;
  TrainCallbacks first, second;
  first.on_metrics = [&](const std::vector<store::MetricPoint>& p) { a = p.front().value; };
  second.on_metrics = [&](const std::vector<store::MetricPoint>& p) { b = p.front().value; };
  Trainer(settings, torch::kCPU).run(first);
  Trainer(settings, torch::kCPU).run(second);
  EXPECT_EQ(a, b);
}

TEST(Trainer, Bf16AutocastTrainsWithFp32WeightsAndItsOwnNumbers) {
  torch::set_num_threads(1);
  auto settings = short_reverse("general");
  settings.train.steps = 40;
  settings.train.log_every = 40;
  settings.task.test_lengths = {1, 2};
  const double fp32 = final_loss(settings, torch::kCPU);
  settings.train.precision = "bf16";
  std::unique_ptr<Trainer> trainer;
  const double bf16 = final_loss(settings, torch::kCPU, &trainer);
  EXPECT_TRUE(std::isfinite(bf16));
  EXPECT_NE(bf16, fp32);                 // the products really ran in bf16
  EXPECT_NEAR(bf16, fp32, 0.05 * fp32);  // and trained the same model
  for (const auto& p : trainer->model().parameters())
    EXPECT_EQ(p.scalar_type(), torch::kFloat32);
  EXPECT_FALSE(at::autocast::is_cpu_enabled());  // switched off after each step
}

TEST(Trainer, DeterministicModeIsSwitchedOnAndOff) {
  use_deterministic_algorithms(true);
  EXPECT_TRUE(at::globalContext().deterministicAlgorithms());
  EXPECT_TRUE(at::globalContext().deterministicAlgorithmsWarnOnly());
  EXPECT_TRUE(at::globalContext().deterministicCuDNN());
  use_deterministic_algorithms(false);
  EXPECT_FALSE(at::globalContext().deterministicAlgorithms());
}

TEST(Trainer, ANonFiniteLossStopsTheRunAtTheNextLogPoint) {
  auto settings = short_reverse("dot");
  settings.train.steps = 50;
  settings.train.log_every = 10;
  settings.train.lr = 1e30;
  try {
    Trainer(settings, torch::kCPU).run({});
    ADD_FAILURE() << "expected Diverged";
  } catch (const Diverged& e) {
    EXPECT_NE(std::string(e.what()).find("in the steps up to step"), std::string::npos) << e.what();
  }
}

TEST(Trainer, ResumingFromACheckpointGivesTheSameNumbers) {
  torch::set_num_threads(1);
  auto settings = short_reverse("additive");
  settings.model.dropout = 0.3;  // the random generator must be restored too
  settings.train.steps = 60;
  settings.train.log_every = 10;
  settings.train.checkpoint_every = 20;
  settings.task.test_lengths = {1, 4};
  const auto losses_of = [](std::vector<double>* out) {
    return [out](const std::vector<store::MetricPoint>& points) {
      out->push_back(points.front().value);
    };
  };
  std::vector<double> whole;
  TrainCallbacks straight;
  straight.on_metrics = losses_of(&whole);
  const TrainResult expected = Trainer(settings, torch::kCPU).run(straight);

  // Killed after step 45: the last checkpoint is step 40.
  std::string state;
  int saved_at = 0, steps = 0;
  TrainCallbacks killed;
  killed.on_checkpoint = [&](int step, const std::string& bytes) {
    saved_at = step;
    state = bytes;
  };
  killed.should_stop = [&] { return ++steps > 45; };
  EXPECT_THROW(Trainer(settings, torch::kCPU).run(killed), Interrupted);
  EXPECT_EQ(saved_at, 40);

  Trainer resumed(settings, torch::kCPU);
  EXPECT_EQ(resumed.restore(state), 40);
  std::vector<double> rest;
  TrainCallbacks after;
  after.on_metrics = losses_of(&rest);
  const TrainResult got = resumed.run(after);
  ASSERT_EQ(rest.size(), 2u);  // steps 50 and 60
  EXPECT_EQ(rest[0], whole[4]);
  EXPECT_EQ(rest[1], whole[5]);
  EXPECT_EQ(got.final_loss, expected.final_loss);
  ASSERT_EQ(got.evals.size(), expected.evals.size());
  for (size_t i = 0; i < got.evals.size(); ++i) {
    EXPECT_EQ(got.evals[i].token_accuracy, expected.evals[i].token_accuracy);
    EXPECT_EQ(got.evals[i].sequence_accuracy, expected.evals[i].sequence_accuracy);
  }
  // A checkpoint only fits its own config.
  settings.seed = 6;
  EXPECT_THROW(Trainer(settings, torch::kCPU).restore(state), std::runtime_error);
}

TEST(Trainer, StopsWhenAsked) {
  auto settings = short_reverse("none");
  TrainCallbacks callbacks;
  int polls = 0;
  callbacks.should_stop = [&] { return ++polls > 3; };
  Trainer trainer(settings, torch::kCPU);
  EXPECT_THROW(trainer.run(callbacks), Interrupted);
  EXPECT_EQ(polls, 4);
}

TEST(Trainer, UnknownNamesAreRejectedWithTheValidOnes) {
  auto settings = short_reverse("bogus");
  try {
    check_names(settings);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "attention.name: 'bogus' is not available; valid: none, dot, general, concat, "
              "location, additive, scaled_dot, multihead");
  }
}

TEST(Devices, AskingForAGpuThatIsNotThereIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is usable here; see the Cuda tests";
  EXPECT_EQ(resolve_device("auto"), "cpu");
  EXPECT_EQ(resolve_device("cpu"), "cpu");
  for (const char* device : {"cuda", "cuda:1"}) {
    try {
      resolve_device(device);
      ADD_FAILURE() << device << " resolved without a GPU";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("use device=cpu or device=auto"), std::string::npos)
          << e.what();
    }
  }
}

// Training on a GPU (ctest label `cuda`). Skipped with a message where
// LibTorch sees no GPU, as on CI.
class Cuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) {
      GTEST_SKIP() << "no usable GPU for LibTorch " TORCH_VERSION
                      " (a CPU-only build, or no GPU on this machine)";
    }
  }
};

TEST_F(Cuda, AutoPicksTheGpuAndTheRunRecordsIt) {
  EXPECT_EQ(resolve_device("auto"), "cuda");
  EXPECT_EQ(resolve_device("cuda:0"), "cuda:0");
  EXPECT_THROW(resolve_device("cuda:999"), std::invalid_argument);
  const store::Environment env = configure_environment(1, "cuda");
  EXPECT_NE(env.gpu.find("(cuda:0; driver "), std::string::npos) << env.gpu;
  EXPECT_NE(env.gpu.find(", CUDA "), std::string::npos) << env.gpu;
  EXPECT_EQ(env.gpu.find("unknown GPU"), std::string::npos) << env.gpu;
}

TEST_F(Cuda, TrainsTheSameModelAsTheCpu) {
  torch::set_num_threads(1);
  auto settings = short_reverse("general");
  settings.train.steps = 60;
  settings.train.log_every = 60;
  settings.task.test_lengths = {1, 2};
  const double cpu = final_loss(settings, torch::kCPU);
  const double gpu = final_loss(settings, torch::Device("cuda"));
  EXPECT_TRUE(std::isfinite(gpu));
  EXPECT_NEAR(gpu, cpu, 0.02 * cpu);
  EXPECT_EQ(final_loss(settings, torch::Device("cuda")), gpu);  // the same seed, the same loss
}

TEST_F(Cuda, Bf16AndDeterministicModeTrainOnTheGpu) {
  auto settings = short_reverse("additive");
  settings.train.steps = 60;
  settings.train.log_every = 60;
  settings.task.test_lengths = {1, 2};
  const double fp32 = final_loss(settings, torch::Device("cuda"));
  settings.train.precision = "bf16";
  const double bf16 = final_loss(settings, torch::Device("cuda"));
  EXPECT_TRUE(std::isfinite(bf16));
  EXPECT_NEAR(bf16, fp32, 0.05 * fp32);
  settings.train.precision = "fp32";
  use_deterministic_algorithms(true);
  const double first = final_loss(settings, torch::Device("cuda"));
  EXPECT_EQ(final_loss(settings, torch::Device("cuda")), first);
  use_deterministic_algorithms(false);
}

}  // namespace
}  // namespace attnlab::train
