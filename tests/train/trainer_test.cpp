// Training really learns: a small additive model on short reverse sequences
// rises far above chance, and the same seed gives the same numbers.
#include "train/trainer.h"

#include <gtest/gtest.h>

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

TEST(Trainer, AdditiveAttentionLearnsToReverseShortSequences) {
  torch::set_num_threads(1);
  Trainer trainer(short_reverse("additive"), torch::kCPU);
  std::vector<double> losses;
  TrainCallbacks callbacks;
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    losses.push_back(points.front().value);
  };
  const TrainResult result = trainer.run(callbacks);
  ASSERT_EQ(result.evals.size(), 5u);
  ASSERT_EQ(losses.size(), 6u);
  EXPECT_LT(losses.back(), 0.5 * losses.front());
  // Chance exact match at length 5 with 10 symbols is 1e-5.
  double mean = 0;
  for (const auto& e : result.evals) {
    EXPECT_EQ(e.n, 100);
    mean += e.sequence_accuracy / 5;
  }
  EXPECT_GT(mean, 0.6);
  EXPECT_GT(result.evals[4].sequence_accuracy, 0.2);
  EXPECT_GT(result.evals[4].token_accuracy, 0.6);
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
              "location, additive, scaled_dot");
  }
}

}  // namespace
}  // namespace attnlab::train
