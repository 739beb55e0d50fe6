// Merging shard databases into the main one, with real SQLite files: runs
// arrive with everything hanging off them, a second merge changes nothing,
// a taken id is renumbered, running runs wait, and damaged shards are refused.
#include "store/merge.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace attnlab::store {
namespace {

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attnlab-merge-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static NewRun sample_run(const std::string& hash) {
    NewRun run;
    run.config_hash = hash;
    run.config_yaml = "seed: 1\n";
    run.overrides_json = "[]";
    run.seed = 1;
    run.task = "reverse";
    run.model = "rnn";
    run.attention = "dot";
    run.decoder = "luong";
    run.hidden_size = 8;
    run.train_min_length = 1;
    run.train_max_length = 5;
    run.slurm_job_id = "7_1";
    return run;
  }

  static LengthEval eval_at(int length, double accuracy) {
    LengthEval e;
    e.length = length;
    e.n = 10;
    e.token_accuracy = accuracy;
    e.sequence_accuracy = accuracy;
    return e;
  }

  // A shard with one finished run (metrics and evals) and returns its id.
  std::string finished_shard(RunStore& shard, const std::string& hash) {
    const std::string id = shard.begin_run(sample_run(hash));
    shard.log_metrics(id, {{10, "train_loss", 1.5}, {20, "train_loss", 0.75}});
    shard.finish_run(id, {{eval_at(3, 0.5), eval_at(4, 0.25)}, {}, {}, 2.5});
    return id;
  }

  static int count(RunStore& store, const std::string& sql) {
    Statement s = store.database().prepare(sql);
    return s.step() ? s.column_int(0) : -1;
  }

  std::filesystem::path dir_;
};

TEST_F(MergeTest, CopiesFinishedRunsAndASecondMergeChangesNothing) {
  const auto shard_file = dir_ / "shards" / "job-1" / "attnlab.db";
  std::string shard_id;
  {
    RunStore shard(shard_file, OpenMode::kReadWrite);
    shard.adopt_sweep("sweep-1", "study", "[]", {{1, {}, "aaaa111122223333", "seed: 1\n"}}, "abc",
                      "");
    shard_id = finished_shard(shard, "aaaa111122223333");
  }
  RunStore main(dir_ / "main.db", OpenMode::kReadWrite);
  const ShardMerge first = merge_shard(main, shard_file);
  EXPECT_EQ(first.problem, "");
  ASSERT_EQ(first.runs.size(), 1u);
  EXPECT_EQ(first.runs[0].action, MergeAction::kAdded);
  EXPECT_EQ(first.runs[0].run_id, shard_id);
  const auto run = main.find_run(shard_id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->run.slurm_job_id, "7_1");
  EXPECT_DOUBLE_EQ(run->wall_seconds, 2.5);
  ASSERT_EQ(main.evals(shard_id).size(), 2u);
  EXPECT_DOUBLE_EQ(main.evals(shard_id)[1].token_accuracy, 0.25);
  EXPECT_EQ(main.metrics(shard_id).size(), 2u);
  ASSERT_TRUE(main.find_sweep("sweep-1").has_value());
  EXPECT_EQ(main.sweep_plan("sweep-1").size(), 1u);

  const ShardMerge second = merge_shard(main, shard_file);
  ASSERT_EQ(second.runs.size(), 1u);
  EXPECT_EQ(second.runs[0].action, MergeAction::kUnchanged);
  EXPECT_EQ(count(main, "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(count(main, "SELECT count(*) FROM evals"), 2);
  EXPECT_EQ(count(main, "SELECT count(*) FROM metrics"), 2);
  EXPECT_EQ(count(main, "SELECT count(*) FROM sweep_jobs"), 1);
}

TEST_F(MergeTest, ARunWhoseIdIsTakenGetsTheNextFreeOne) {
  RunStore main(dir_ / "main.db", OpenMode::kReadWrite);
  const std::string local = finished_shard(main, "bbbb111122223333");
  const auto shard_file = dir_ / "shard.db";
  {
    RunStore shard(shard_file, OpenMode::kReadWrite);
    EXPECT_EQ(finished_shard(shard, "bbbb111122223333"), local);  // same id, another run
  }
  const ShardMerge merged = merge_shard(main, shard_file);
  ASSERT_EQ(merged.runs.size(), 1u);
  EXPECT_EQ(merged.runs[0].action, MergeAction::kAdded);
  EXPECT_EQ(merged.runs[0].run_id, "bbbb111122-2");
  EXPECT_EQ(main.evals("bbbb111122-2").size(), 2u);
  EXPECT_EQ(main.evals(local).size(), 2u);
  EXPECT_EQ(merge_shard(main, shard_file).runs[0].action, MergeAction::kUnchanged);
  EXPECT_EQ(count(main, "SELECT count(*) FROM runs"), 2);
}

TEST_F(MergeTest, RunningRunsWaitUnlessTheirTaskEnded) {
  const auto shard_file = dir_ / "shard.db";
  std::string id;
  {
    RunStore shard(shard_file, OpenMode::kReadWrite);
    id = shard.begin_run(sample_run("cccc111122223333"));
    shard.set_checkpoint(id, 20);
    shard.log_metrics(id, {{10, "train_loss", 2.0}});
  }
  RunStore main(dir_ / "main.db", OpenMode::kReadWrite);
  ShardMerge merged = merge_shard(main, shard_file);
  ASSERT_EQ(merged.runs.size(), 1u);
  EXPECT_EQ(merged.runs[0].action, MergeAction::kRunning);
  EXPECT_EQ(count(main, "SELECT count(*) FROM runs"), 0);

  // Slurm says the task was cancelled: the run ends as interrupted.
  const EndedRun cancelled{RunStatus::kInterrupted, "Slurm task 7_1 cancelled (scancel)"};
  merged = merge_shard(main, shard_file, cancelled);
  ASSERT_EQ(merged.runs.size(), 1u);
  EXPECT_EQ(merged.runs[0].action, MergeAction::kAdded);
  EXPECT_EQ(merged.runs[0].status, RunStatus::kInterrupted);
  auto run = main.find_run(id);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->status, RunStatus::kInterrupted);
  EXPECT_EQ(run->error, "Slurm task 7_1 cancelled (scancel)");
  EXPECT_FALSE(run->finished_at.empty());
  EXPECT_EQ(run->checkpoint_step, 20);
  EXPECT_EQ(merge_shard(main, shard_file, cancelled).runs[0].action, MergeAction::kUnchanged);

  // The job's next task resumes the run from its checkpoint and finishes
  // it: the merge replaces the interrupted copy.
  {
    RunStore shard(shard_file, OpenMode::kReadWrite);
    shard.interrupt_running_runs("its Slurm task ended");
    shard.reopen_run(id, 4242, "9_1");
    shard.log_metrics(id, {{30, "train_loss", 1.0}});
    shard.finish_run(id, {{eval_at(3, 1.0)}, {}, {}, 4.0});
  }
  merged = merge_shard(main, shard_file);
  ASSERT_EQ(merged.runs.size(), 1u);
  EXPECT_EQ(merged.runs[0].action, MergeAction::kUpdated);
  run = main.find_run(id);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->run.slurm_job_id, "9_1");
  EXPECT_EQ(main.metrics(id).size(), 2u);
  EXPECT_EQ(main.evals(id).size(), 1u);
  EXPECT_EQ(count(main, "SELECT count(*) FROM runs"), 1);
}

TEST_F(MergeTest, DamagedOrMissingShardsAreReportedAndChangeNothing) {
  RunStore main(dir_ / "main.db", OpenMode::kReadWrite);
  EXPECT_EQ(merge_shard(main, dir_ / "missing.db").problem, "no such file");

  const auto garbage = dir_ / "garbage.db";
  std::ofstream(garbage) << "this is not a database, just text that is long enough to matter";
  EXPECT_NE(merge_shard(main, garbage).problem, "");

  // A shard cut short in the middle, as a node dying mid-copy leaves it.
  const auto whole = dir_ / "whole.db";
  {
    RunStore shard(whole, OpenMode::kReadWrite);
    for (int i = 0; i < 20; ++i)
      finished_shard(shard, std::to_string(1000000000 + i) + "eeeeee");
    shard.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  const auto cut = dir_ / "cut.db";
  {
    std::ifstream in(whole, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 8192u);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  EXPECT_NE(merge_shard(main, cut).problem, "");
  EXPECT_EQ(count(main, "SELECT count(*) FROM runs"), 0);
  EXPECT_EQ(merge_shard(main, whole).runs.size(), 20u);
}

}  // namespace
}  // namespace attnlab::store
