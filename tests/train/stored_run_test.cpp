// A run's lifecycle in a real store and folder: it begins and finishes with
// its results and no checkpoint left; a signal ends it interrupted with the
// reason and its checkpoint kept; the same config then reopens that run and
// continues from the checkpoint's step; a run whose trainer fails is stored
// failed.
#include "train/stored_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "data/task.h"

namespace attnlab::train {
namespace {

namespace fs = std::filesystem;

class StoredRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnlab-stored-run-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::make_unique<store::RunStore>(dir_ / "t.db", store::OpenMode::kReadWrite);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunSpec spec(const std::string& hash) const {
    config::RunSettings s;
    s.task.vocab_size = 10;
    s.task.train_lengths = {1, 4};
    s.task.test_lengths = {1, 4};
    s.task.eval_examples = 20;
    s.model.embedding_size = 8;
    s.model.hidden_size = 16;
    s.attention.name = "dot";
    s.train.steps = 40;
    s.train.batch_size = 8;
    s.train.log_every = 10;
    s.train.checkpoint_every = 10;
    return {s, hash, {"attention=dot"}, "", "", "cpu", dir_ / "runs", data::make_task(s.task)};
  }

  // Trains the run of `hash` until a signal after its step-20 checkpoint;
  // returns its id.
  std::string interrupted_after_step_20(const std::string& hash) {
    StoredRun run(*store_, spec(hash));
    int signal = 0;
    RunEvents events;
    events.stop_signal = [&] { return signal; };
    events.on_metrics = [&](const std::vector<store::MetricPoint>& points, double) {
      if (points.front().step == 20) signal = 15;  // after the step-20 checkpoint
    };
    const RunOutcome outcome = run.train(events);
    EXPECT_EQ(outcome.status, store::RunStatus::kInterrupted);
    EXPECT_EQ(outcome.error.rfind("interrupted by signal 15: ", 0), 0u) << outcome.error;
    return run.id();
  }

  fs::path dir_;
  std::unique_ptr<store::RunStore> store_;
};

TEST_F(StoredRunTest, FinishesWithItsResultsAndNoCheckpointLeft) {
  StoredRun run(*store_, spec("h1"));
  EXPECT_FALSE(run.resuming());
  EXPECT_TRUE(fs::exists(dir_ / "runs" / run.id() / "config.yaml"));
  EXPECT_TRUE(fs::exists(dir_ / "runs" / run.id() / "overrides.yaml"));
  int logged = 0;
  RunEvents events;
  events.on_metrics = [&](const std::vector<store::MetricPoint>&, double) { ++logged; };
  const RunOutcome outcome = run.train(events);
  ASSERT_TRUE(outcome.finished()) << outcome.error;
  EXPECT_EQ(logged, 4);  // steps 10, 20, 30, 40
  EXPECT_EQ(outcome.result.trained_steps, 40);
  const auto stored = store_->find_run(run.id());
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, store::RunStatus::kFinished);
  EXPECT_EQ(stored->trained_steps, 40);
  EXPECT_GT(stored->parameters, 0);
  EXPECT_EQ(stored->engine, "fused");
  EXPECT_FALSE(fs::exists(dir_ / "runs" / run.id() / "checkpoint.pt"));
}

// What a run cost: its FLOPs per step (training_flops, counted from the
// shapes) and its device's peak, measured once per host, device, threads
// and precision and then read back by every run.
TEST_F(StoredRunTest, RecordsItsFlopsAndItsDevicesPeak) {
  RunSpec fixed_length = spec("h4");
  fixed_length.settings.task.train_lengths = {4, 4};
  fixed_length.settings.train.eval_every = 0;
  StoredRun first(*store_, fixed_length);
  ASSERT_TRUE(first.train({}).finished());
  std::map<std::string, store::MetricPoint> cost;
  for (const auto& m : store_->metrics(first.id()))
    cost[m.name] = m;
  ASSERT_EQ(cost.count("flops_per_step"), 1u);
  ASSERT_EQ(cost.count("peak_gflops"), 1u);
  EXPECT_EQ(cost["flops_per_step"].step, 40);
  // Reverse of 4 symbols, dot attention, E 8, H 16, G 48: encoder 4 (2 8 48
  // + 2 16 48), decoder 5 (2 (8 + 16) 48 + 2 16 48 + 2 16 V + score 2 4 16 +
  // context 2 4 16 + W_c 2 32 16); times 3 B.
  const double v = fixed_length.task->vocabulary().size();
  const double sequence = 4 * 2304.0 + 5 * (2304.0 + 1536 + 32 * v + 128 + 128 + 1024);
  EXPECT_DOUBLE_EQ(cost["flops_per_step"].value, 3 * 8 * sequence);
  const double peak = cost["peak_gflops"].value;
  EXPECT_GT(peak, 0);
  const auto env = first.record().environment;
  ASSERT_TRUE(store_->device_peak(env.hostname, "cpu", "fp32", env.threads).has_value());
  EXPECT_EQ(*store_->device_peak(env.hostname, "cpu", "fp32", env.threads), peak);
  EXPECT_FALSE(store_->device_peak(env.hostname, "cpu", "bf16", env.threads).has_value());

  StoredRun second(*store_, spec("h5"));  // the same device: the recorded peak, not a new one
  ASSERT_TRUE(second.train({}).finished());
  for (const auto& m : store_->metrics(second.id())) {
    if (m.name == "peak_gflops") {
      EXPECT_EQ(m.value, peak);
    }
  }
}

TEST_F(StoredRunTest, AnInterruptedRunResumesFromItsCheckpoint) {
  const std::string id = interrupted_after_step_20("h2");
  EXPECT_EQ(store_->find_run(id)->status, store::RunStatus::kInterrupted);
  EXPECT_EQ(store_->find_run(id)->checkpoint_step, 20);
  StoredRun again(*store_, spec("h2"));
  EXPECT_EQ(again.id(), id);
  EXPECT_TRUE(again.resuming());
  int resumed = -1;
  RunEvents events;
  events.on_model = [&](std::int64_t, const std::string&, int step) { resumed = step; };
  const RunOutcome outcome = again.train(events);
  ASSERT_TRUE(outcome.finished()) << outcome.error;
  EXPECT_EQ(resumed, 20);
  EXPECT_EQ(store_->find_run(id)->status, store::RunStatus::kFinished);
}

// A checkpoint that does not restore fails the run with a message that
// names the file (no LibTorch backtrace); the config's next run starts afresh.
TEST_F(StoredRunTest, ADamagedCheckpointFailsTheRunByNameAndTheNextRunStartsAfresh) {
  const std::string id = interrupted_after_step_20("h4");
  std::ofstream(dir_ / "runs" / id / "checkpoint.pt", std::ios::trunc) << "not a checkpoint";
  StoredRun again(*store_, spec("h4"));
  ASSERT_EQ(again.id(), id);
  const RunOutcome outcome = again.train({});
  EXPECT_EQ(outcome.status, store::RunStatus::kFailed);
  EXPECT_NE(outcome.error.find("runs/" + id + "/checkpoint.pt cannot be restored ("),
            std::string::npos)
      << outcome.error;
  EXPECT_EQ(outcome.error.find("Exception raised from"), std::string::npos) << outcome.error;
  EXPECT_EQ(store_->find_run(id)->error, outcome.error);
  StoredRun afresh(*store_, spec("h4"));
  EXPECT_NE(afresh.id(), id);
  EXPECT_FALSE(afresh.resuming());
}

// A checkpoint that cannot be written (here its path is a folder; a full
// disk fails the same write) interrupts the run instead of failing it, so
// that it resumes from its last good checkpoint.
TEST_F(StoredRunTest, ACheckpointThatCannotBeWrittenInterruptsTheRun) {
  StoredRun run(*store_, spec("h5"));
  fs::create_directories(dir_ / "runs" / run.id() / "checkpoint.pt" / "in-the-way");
  const RunOutcome outcome = run.train({});
  EXPECT_EQ(outcome.status, store::RunStatus::kInterrupted);
  EXPECT_EQ(outcome.error.rfind("could not write the checkpoint of step 10 (", 0), 0u)
      << outcome.error;
  EXPECT_EQ(store_->find_run(run.id())->status, store::RunStatus::kInterrupted);
}

TEST_F(StoredRunTest, ARunWhoseTrainerFailsIsStoredFailed) {
  RunSpec bad = spec("h3");
  bad.settings.attention.name = "bogus";  // the model cannot be built
  StoredRun run(*store_, bad);
  const RunOutcome outcome = run.train({});
  EXPECT_EQ(outcome.status, store::RunStatus::kFailed);
  EXPECT_NE(outcome.error.find("bogus"), std::string::npos) << outcome.error;
  const auto stored = store_->find_run(run.id());
  EXPECT_EQ(stored->status, store::RunStatus::kFailed);
  EXPECT_EQ(stored->error, outcome.error);
}

}  // namespace
}  // namespace attnlab::train
