// Learning-rate schedules: warm-up, then each shape's values at known steps.
#include "train/schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace attnlab::train {
namespace {

config::TrainSettings schedule(const std::string& name, int warmup, int steps = 1000) {
  config::TrainSettings t;
  t.lr = 0.004;
  t.schedule = name;
  t.warmup_steps = warmup;
  t.steps = steps;
  return t;
}

TEST(Schedule, ConstantIsTheLearningRateAtEveryStep) {
  for (const int step : {1, 500, 1000})
    EXPECT_DOUBLE_EQ(scheduled_lr(schedule("constant", 100), step), 0.004);
}

TEST(Schedule, WarmUpRisesLinearlyToThePeak) {
  for (const std::string name : {"inverse_sqrt", "cosine", "linear"}) {
    const auto t = schedule(name, 100);
    EXPECT_DOUBLE_EQ(scheduled_lr(t, 1), 0.004 / 100) << name;
    EXPECT_DOUBLE_EQ(scheduled_lr(t, 50), 0.002) << name;
    EXPECT_DOUBLE_EQ(scheduled_lr(t, 100), 0.004) << name;
  }
}

TEST(Schedule, InverseSquareRootHalvesAtFourTimesTheWarmUp) {
  const auto t = schedule("inverse_sqrt", 100);
  EXPECT_DOUBLE_EQ(scheduled_lr(t, 400), 0.002);
  EXPECT_DOUBLE_EQ(scheduled_lr(t, 900), 0.004 / 3);
  // Without warm-up it starts at the peak.
  EXPECT_DOUBLE_EQ(scheduled_lr(schedule("inverse_sqrt", 0), 1), 0.004);
  EXPECT_DOUBLE_EQ(scheduled_lr(schedule("inverse_sqrt", 0), 4), 0.002);
}

TEST(Schedule, CosineAndLinearDecayFromThePeakToNearlyZero) {
  // 100 warm-up steps and 900 after: step 101 at the peak, step 551 half-way.
  const auto cosine = schedule("cosine", 100);
  EXPECT_DOUBLE_EQ(scheduled_lr(cosine, 101), 0.004);
  EXPECT_NEAR(scheduled_lr(cosine, 551), 0.002, 1e-15);
  EXPECT_NEAR(scheduled_lr(cosine, 1000), 0.004 * 0.5 * (1 + std::cos(M_PI * 899 / 900)), 1e-15);
  EXPECT_GT(scheduled_lr(cosine, 1000), 0);
  const auto linear = schedule("linear", 100);
  EXPECT_DOUBLE_EQ(scheduled_lr(linear, 101), 0.004);
  EXPECT_NEAR(scheduled_lr(linear, 551), 0.002, 1e-15);
  EXPECT_NEAR(scheduled_lr(linear, 1000), 0.004 / 900, 1e-15);
  // Every step after the warm-up trains at no more than the one before it.
  for (int step = 101; step < 1000; ++step) {
    EXPECT_LE(scheduled_lr(cosine, step + 1), scheduled_lr(cosine, step));
    EXPECT_LE(scheduled_lr(linear, step + 1), scheduled_lr(linear, step));
  }
}

}  // namespace
}  // namespace attnlab::train
