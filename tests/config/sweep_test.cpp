// Sweep expansion order and precedence.
#include "config/sweep.h"

#include <gtest/gtest.h>

namespace attnlab::config {
namespace {

std::vector<std::string> lines(const std::vector<SweepJob>& jobs) {
  std::vector<std::string> out;
  for (const auto& job : jobs) {
    std::string line;
    for (const auto& o : job.overrides)
      line += (line.empty() ? "" : " ") + o;
    out.push_back(line);
  }
  return out;
}

TEST(Sweep, CartesianProductLastKeyFastest) {
  EXPECT_EQ(lines(expand_sweep(YAML::Node(), {"a=1,2", "seed=3", "b=x,y"})),
            (std::vector<std::string>{"a=1 seed=3 b=x", "a=1 seed=3 b=y", "a=2 seed=3 b=x",
                                      "a=2 seed=3 b=y"}));
}

TEST(Sweep, PlainOverridesGiveOneJob) {
  EXPECT_EQ(lines(expand_sweep(YAML::Node(), {"train.lr=1e-3"})),
            (std::vector<std::string>{"train.lr=1e-3"}));
  EXPECT_EQ(lines(expand_sweep(YAML::Node(), {})), (std::vector<std::string>{""}));
}

TEST(Sweep, CommandLineReplacesTheExperimentsSweepForAKey) {
  const YAML::Node experiment = YAML::Load("{attention: 'none,dot', model.hidden_size: [8, 16]}");
  EXPECT_EQ(lines(expand_sweep(experiment, {})),
            (std::vector<std::string>{
                "attention=none model.hidden_size=8", "attention=none model.hidden_size=16",
                "attention=dot model.hidden_size=8", "attention=dot model.hidden_size=16"}));
  EXPECT_EQ(lines(expand_sweep(experiment, {"model.hidden_size=32", "attention=general,dot"})),
            (std::vector<std::string>{"attention=general model.hidden_size=32",
                                      "attention=dot model.hidden_size=32"}));
  EXPECT_EQ(lines(expand_sweep(YAML::Node(), {"a=1,2", "a=3"})), (std::vector<std::string>{"a=3"}));
}

}  // namespace
}  // namespace attnlab::config
