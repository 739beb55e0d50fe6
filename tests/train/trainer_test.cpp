// Training really learns: every scorer, both decoders and the Transformer
// rise far above chance on short reverse sequences; the same seed gives the
// same numbers; divergence, schedules, dev selection and early stopping.
#include "train/trainer.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "attention/registry.h"
#include "base/text.h"
#include "data/batch.h"
#include "models/decoding.h"
#include "train/environment.h"
#include "train/evaluate.h"
#include "train/schedule.h"

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

// Reverse knows its gold alignment; a model that attends gets an alignment
// error per length, one without attention none. local-p has to learn
// p_t = S - 1 - t from the decoder state to look at the right place at all.
TEST(Trainer, MeasuresAlignmentWhereTheTaskKnowsItAndTheModelAttends) {
  torch::set_num_threads(1);
  const TrainResult local_p = Trainer(short_reverse("local_p"), torch::kCPU).run({});
  ASSERT_FALSE(local_p.evals.empty());
  for (const auto& e : local_p.evals) {
    ASSERT_FALSE(std::isnan(e.aer)) << e.length;
    EXPECT_GE(e.aer, 0.0);
    EXPECT_LE(e.aer, 1.0);
    // One gold position per token: AER is exactly the share off it.
    EXPECT_NEAR(e.aer, 1 - e.alignment_accuracy, 1e-12);
  }
  ASSERT_EQ(local_p.splits.size(), 1u);
  EXPECT_GT(local_p.splits[0].alignment_accuracy, 0.5);  // chance is 1 in 3 at these lengths
  const TrainResult none = Trainer(short_reverse("none"), torch::kCPU).run({});
  for (const auto& e : none.evals)
    EXPECT_TRUE(std::isnan(e.aer) && std::isnan(e.alignment_accuracy)) << e.length;
  EXPECT_TRUE(std::isnan(none.splits[0].aer));
}

TEST(Trainer, BahdanauDecoderLearns) {
  torch::set_num_threads(1);
  auto settings = short_reverse("additive");
  settings.model.decoder = config::Decoder::kBahdanau;
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
  settings.train.precision = config::Precision::kBf16;
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

// The message of the Diverged that 50 steps of short_reverse(attention),
// logging every 10, throw after `edit` has changed every parameter in place;
// "" without one.
std::string divergence_after(const std::string& attention,
                             const std::function<void(torch::Tensor&)>& edit) {
  auto settings = short_reverse(attention);
  settings.train.steps = 50;
  settings.train.log_every = 10;
  Trainer trainer(settings, torch::kCPU);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : trainer.model().parameters())
      edit(p);
  }
  try {
    trainer.run({});
  } catch (const Diverged& e) {
    return e.what();
  }
  return "";
}

TEST(Trainer, ANonFiniteLossStopsTheRunAtTheNextLogPoint) {
  // By construction, not by hoping that some learning rate overflows on
  // this machine's BLAS: NaN weights give a NaN loss under IEEE arithmetic.
  const std::string why = divergence_after(
      "dot", [](torch::Tensor& p) { p.fill_(std::numeric_limits<float>::quiet_NaN()); });
  EXPECT_NE(why.find("the mean loss of the steps up to step 10 is nan"), std::string::npos) << why;
}

TEST(Trainer, ALossFarAboveGuessingStopsTheRunToo) {
  // Weights 10^4 times their size saturate every tanh and put the logits in
  // the tens of thousands: the loss is finite but thousands of times ln V,
  // and Adam's steps of 0.005 cannot bring it back within 10 steps.
  const std::string why = divergence_after("general", [](torch::Tensor& p) { p.mul_(1e4); });
  EXPECT_NE(why.find("up to step 10 is "), std::string::npos) << why;
  // 10 symbols and 3 specials: 100 ln 13 = 256.495.
  EXPECT_NE(why.find("past 100 times that of guessing uniformly (256.495)"), std::string::npos)
      << why;
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

// Callbacks that append every logged metric point to `points`.
TrainCallbacks collecting(std::vector<store::MetricPoint>& points) {
  TrainCallbacks callbacks;
  callbacks.on_metrics = [&points](const std::vector<store::MetricPoint>& p) {
    points.insert(points.end(), p.begin(), p.end());
  };
  return callbacks;
}

// The learning curve's points named `name`, by step.
std::map<int, double> curve(const std::vector<store::MetricPoint>& points,
                            const std::string& name) {
  std::map<int, double> out;
  for (const auto& p : points)
    if (p.name == name) out[p.step] = p.value;
  return out;
}

TEST(Trainer, BestDevKeepsTheWeightsOfTheBestDevEvaluation) {
  torch::set_num_threads(1);
  auto settings = short_reverse("general");
  settings.train.steps = 300;
  settings.train.eval_every = 50;
  settings.train.dev_examples = 200;
  settings.train.select = "best_dev";
  settings.train.schedule = "cosine";
  settings.train.warmup_steps = 30;
  std::vector<store::MetricPoint> points;
  const TrainCallbacks callbacks = collecting(points);
  Trainer trainer(settings, torch::kCPU);
  const TrainResult result = trainer.run(callbacks);
  EXPECT_EQ(result.trained_steps, 300);
  // The chosen step has the best dev exact match, then token accuracy; a
  // later evaluation that ties both wins.
  const auto exact = curve(points, "dev_exact");
  const auto tokens = curve(points, "dev_token_accuracy");
  ASSERT_EQ(exact.size(), 6u);
  int best_step = 0;
  for (const auto& [step, value] : exact) {
    if (best_step == 0 || value > exact.at(best_step) ||
        (value == exact.at(best_step) && tokens.at(step) >= tokens.at(best_step))) {
      best_step = step;
    }
  }
  EXPECT_EQ(result.selected_step, best_step);
  // The model evaluated is that step's: decoding the dev sample again gives its numbers.
  const auto again = greedy_scores(trainer.model(), dev_sample(trainer.task(), settings),
                                   trainer.task(), torch::kCPU);
  EXPECT_EQ(again.sequence_accuracy, exact.at(result.selected_step));
  EXPECT_EQ(again.token_accuracy, tokens.at(result.selected_step));
  // Every step logs its scheduled learning rate.
  const auto lr = curve(points, "lr");
  EXPECT_DOUBLE_EQ(lr.at(100), scheduled_lr(settings.train, 100));
}

TEST(Trainer, EarlyStoppingEndsTrainingAfterPatienceEvaluationsWithoutGain) {
  // A learning rate of 1e-12 leaves the weights, and so the dev scores, as
  // they are: the evaluation at step 20 ties the one at step 10, and with a
  // patience of 1 training stops there, keeping step 20's weights (ties go
  // to the later step).
  auto settings = short_reverse("dot");
  settings.train.steps = 1000;
  settings.train.lr = 1e-12;
  settings.train.eval_every = 10;
  settings.train.log_every = 7;
  settings.train.select = "best_dev";
  settings.train.patience = 1;
  std::vector<store::MetricPoint> points;
  const TrainCallbacks callbacks = collecting(points);
  const TrainResult result = Trainer(settings, torch::kCPU).run(callbacks);
  EXPECT_EQ(result.trained_steps, 20);
  EXPECT_EQ(result.selected_step, 20);
  EXPECT_EQ(curve(points, "dev_exact").size(), 2u);
  // The training loss of the last steps is logged where training stopped.
  EXPECT_EQ(curve(points, "train_loss").rbegin()->first, 20);
  EXPECT_FALSE(result.evals.empty());
}

TEST(Trainer, ResumingKeepsTheDevSelection) {
  torch::set_num_threads(1);
  auto settings = short_reverse("additive");
  settings.train.steps = 80;
  settings.train.log_every = 10;
  settings.train.eval_every = 20;
  settings.train.checkpoint_every = 40;
  settings.train.select = "best_dev";
  settings.train.patience = 3;
  settings.train.schedule = "linear";
  settings.train.warmup_steps = 10;
  settings.task.test_lengths = {1, 4};
  const TrainResult expected = Trainer(settings, torch::kCPU).run({});
  std::string state;
  TrainCallbacks killed;
  killed.on_checkpoint = [&](int, const std::string& bytes) { state = bytes; };
  int steps = 0;
  killed.should_stop = [&] { return ++steps > 50; };
  EXPECT_THROW(Trainer(settings, torch::kCPU).run(killed), Interrupted);
  Trainer resumed(settings, torch::kCPU);
  EXPECT_EQ(resumed.restore(state), 40);
  const TrainResult got = resumed.run({});
  EXPECT_EQ(got.selected_step, expected.selected_step);
  EXPECT_EQ(got.trained_steps, expected.trained_steps);
  ASSERT_EQ(got.evals.size(), expected.evals.size());
  for (size_t i = 0; i < got.evals.size(); ++i)
    EXPECT_EQ(got.evals[i].sequence_accuracy, expected.evals[i].sequence_accuracy);
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
    EXPECT_EQ(std::string(e.what()), "attention.name: 'bogus' is not available; valid: " +
                                         base::join(attention::attention_names()));
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
  settings.train.precision = config::Precision::kBf16;
  const double bf16 = final_loss(settings, torch::Device("cuda"));
  EXPECT_TRUE(std::isfinite(bf16));
  EXPECT_NEAR(bf16, fp32, 0.05 * fp32);
  settings.train.precision = config::Precision::kFp32;
  use_deterministic_algorithms(true);
  const double first = final_loss(settings, torch::Device("cuda"));
  EXPECT_EQ(final_loss(settings, torch::Device("cuda")), first);
  use_deterministic_algorithms(false);
}

}  // namespace
}  // namespace attnlab::train
