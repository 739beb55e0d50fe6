// The local pool with real processes (/bin/sh): outcomes, log lines,
// parallelism and stop requests.
#include "launch/local_pool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>

namespace attnlab::launch {
namespace {

class LocalPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attnlab-pool-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ChildProcess shell(int index, const std::string& script) {
    return {index, {"/bin/sh", "-c", script}, dir_ / ("job-" + std::to_string(index) + ".log")};
  }

  std::filesystem::path dir_;
};

TEST_F(LocalPoolTest, ReportsHowEachJobEndedAndForwardsItsLines) {
  std::map<int, std::vector<std::string>> lines;
  int started = 0;
  PoolCallbacks callbacks;
  callbacks.on_start = [&](const ChildProcess&) { ++started; };
  callbacks.on_line = [&](const ChildProcess& job, const std::string& line) {
    lines[job.index].push_back(line);
  };
  const auto outcomes = run_local({shell(1, "echo one; echo two >&2"), shell(2, "exit 3"),
                                   shell(3, "kill -9 $$"), shell(4, "printf 'no newline'")},
                                  2, callbacks);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(started, 4);
  std::map<int, ProcessOutcome> by_index;
  for (const auto& o : outcomes)
    by_index[o.index] = o;
  EXPECT_TRUE(by_index[1].ok);
  EXPECT_EQ(by_index[1].status, "exit code 0");
  EXPECT_FALSE(by_index[2].ok);
  EXPECT_EQ(by_index[2].status, "exit code 3");
  EXPECT_EQ(by_index[3].status, "killed by signal 9");
  EXPECT_EQ(lines[1], (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(lines[4].empty());  // a line without its newline is not forwarded
}

TEST_F(LocalPoolTest, StopRequestEndsRunningJobsAndStartsNoMore) {
  int polls = 0;
  PoolCallbacks callbacks;
  // Ask to stop once both first jobs have surely started.
  callbacks.stop_requested = [&] { return ++polls > 5; };
  const auto outcomes =
      run_local({shell(1, "sleep 30"), shell(2, "sleep 30"), shell(3, "echo never")}, 2, callbacks);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes)
    EXPECT_EQ(o.status, "killed by signal 15");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "job-3.log"));
}

TEST_F(LocalPoolTest, MissingProgramFailsThatJobOnly) {
  const auto outcomes =
      run_local({{1, {"/nonexistent/program"}, dir_ / "a.log"}, shell(2, "true")}, 1, {});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, "exit code 127");
  EXPECT_TRUE(outcomes[1].ok);
  EXPECT_THROW(run_local({}, 0, {}), std::invalid_argument);
}

}  // namespace
}  // namespace attnlab::launch
