// The run repository against a real SQLite file in a temporary folder.
#include "store/run_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <thread>

#include "store/driver_lease.h"
#include "store/schema.h"

namespace attnlab::store {
namespace {

LengthEval at(int length, int n, double token_accuracy, double sequence_accuracy) {
  LengthEval e;
  e.length = length;
  e.n = n;
  e.token_accuracy = token_accuracy;
  e.sequence_accuracy = sequence_accuracy;
  return e;
}

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("attnlab-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static NewRun sample_run(const std::string& hash, const std::string& attention) {
    NewRun run;
    run.config_hash = hash;
    run.config_yaml = "attention:\n  name: " + attention + "\n";
    run.overrides_json = "[\"attention=" + attention + "\"]";
    run.seed = 3;
    run.task = "reverse";
    run.model = "rnn";
    run.attention = attention;
    run.decoder = "luong";
    run.hidden_size = 64;
    run.train_min_length = 1;
    run.train_max_length = 15;
    run.environment.git_commit = "abc123";
    run.environment.torch_version = "1.13.0";
    run.environment.threads = 2;
    run.environment.cpu = "Test CPU";
    run.environment.device = "cpu";
    run.environment.hostname = "host";
    run.environment.blas = "openblas-openmp/libblas.so.3";
    return run;
  }

  std::filesystem::path dir_;
};

TEST_F(RunStoreTest, CreatesFolderAndSchema) {
  RunStore store(dir_ / "nested" / "results.db", OpenMode::kReadWrite);
  Statement s = store.database().prepare("PRAGMA user_version");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int(0), schema_version());
  Statement mode = store.database().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
}

TEST_F(RunStoreTest, RoundTripsACompletedRun) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  const std::string sweep =
      store.begin_sweep("length_generalization", "[]",
                        {{1, {"attention=additive"}, "0123456789abcdef", ""}}, "abc123def456");
  NewRun run = sample_run("0123456789abcdef", "additive");
  run.sweep_id = sweep;
  run.data_identity = "sha256:00ff";
  const std::string id = store.begin_run(run);
  EXPECT_EQ(id, "0123456789");
  store.log_metrics(id, {{100, "train_loss", 0.5}, {200, "train_loss", 0.25}});
  store.set_model(id, 12345, "fused");
  store.set_peak_memory(id, 314572800);
  LengthEval longest = at(15, 200, 0.9, 0.75);
  longest.error_rate = 0.125;
  longest.bleu = 61.5;
  longest.aer = 0.375;
  longest.alignment_accuracy = 0.625;
  for (int i = 0; i < 100; ++i) {
    longest.edit_sums.add(1, 4);
    longest.edit_sums.add(0, 4);
  }
  SplitScores test;
  test.split = "test";
  test.n = 400;
  test.error_rate = 0.0625;
  test.bleu = 80.25;
  DecodedExample example;
  example.length = 2;
  example.source = "a b";
  example.reference = "b a";
  example.prediction = "b b";
  example.source_tokens = {"a", "b"};
  example.output_tokens = {"b", "b", "<eos>"};
  example.weights = {0.25f, 0.75f, 0.5f, 0.5f, 1.0f, 0.0f};
  store.finish_run(id, {{at(1, 200, 1.0, 1.0), longest}, {test}, {example}, 12.5, 1500, 2000});
  store.finish_sweep(sweep, true);

  const auto found = store.find_run("012345");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, RunStatus::kFinished);
  EXPECT_EQ(found->peak_memory_bytes, 314572800);
  EXPECT_EQ(found->run.sweep_id, sweep);
  EXPECT_EQ(found->run.config_yaml, "attention:\n  name: additive\n");
  EXPECT_EQ(found->run.environment.cpu, "Test CPU");
  EXPECT_EQ(found->run.environment.threads, 2);
  EXPECT_DOUBLE_EQ(found->wall_seconds, 12.5);
  EXPECT_EQ(found->run.decoder, "luong");
  EXPECT_EQ(found->parameters, 12345);
  EXPECT_EQ(found->selected_step, 1500);
  EXPECT_EQ(found->trained_steps, 2000);
  EXPECT_EQ(found->run.data_identity, "sha256:00ff");
  const auto evals = store.evals(id);
  ASSERT_EQ(evals.size(), 2u);
  EXPECT_EQ(evals[1].length, 15);
  EXPECT_DOUBLE_EQ(evals[1].sequence_accuracy, 0.75);
  EXPECT_DOUBLE_EQ(evals[1].error_rate, 0.125);
  EXPECT_DOUBLE_EQ(evals[1].bleu, 61.5);
  EXPECT_DOUBLE_EQ(evals[1].aer, 0.375);
  EXPECT_DOUBLE_EQ(evals[1].alignment_accuracy, 0.625);
  EXPECT_TRUE(std::isnan(evals[0].aer));  // not measured: NULL, read back as NaN
  EXPECT_TRUE(std::isnan(evals[0].alignment_accuracy));
  // The run's evals rows where `condition` holds.
  const auto rows_where = [&store, &id](const std::string& condition) {
    Statement s =
        store.database().prepare("SELECT count(*) FROM evals WHERE run_id = ?1 AND " + condition);
    s.bind(1, id);
    EXPECT_TRUE(s.step());
    return s.column_int(0);
  };
  EXPECT_EQ(rows_where("aer IS NULL AND alignment_accuracy IS NULL"), 1);
  const EditSums& sums = evals[1].edit_sums;
  EXPECT_EQ(sums.examples, 200);
  EXPECT_EQ(sums.edits, 100);
  EXPECT_EQ(sums.reference, 800);
  EXPECT_EQ(sums.edits_squared, 100);
  EXPECT_EQ(sums.edits_by_reference, 400);
  EXPECT_EQ(sums.reference_squared, 3200);
  EXPECT_EQ(evals[0].edit_sums.examples, 0);  // not recorded: NULL, read back as none
  EXPECT_EQ(rows_where("edits IS NULL AND reference_squared IS NULL"), 1);
  const auto splits = store.splits(id);
  ASSERT_EQ(splits.size(), 1u);
  EXPECT_EQ(splits[0].split, "test");
  EXPECT_EQ(splits[0].n, 400);
  EXPECT_DOUBLE_EQ(splits[0].bleu, 80.25);
  const auto examples = store.examples(id);
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].prediction, "b b");
  EXPECT_EQ(examples[0].output_tokens, example.output_tokens);
  EXPECT_EQ(examples[0].weights, example.weights);
  Statement row =
      store.database().prepare("SELECT weights, output_tokens FROM examples WHERE run_id = ?1");
  row.bind(1, id);
  ASSERT_TRUE(row.step());
  EXPECT_EQ(row.column_text(0), "[[0.25,0.75],[0.5,0.5],[1.0,0.0]]");
  EXPECT_EQ(row.column_text(1), "[\"b\",\"b\",\"<eos>\"]");
  const auto metrics = store.metrics(id);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(metrics[1].value, 0.25);
  EXPECT_EQ(store.finished_run_with_hash("0123456789abcdef"), id);

  Statement view = store.database().prepare(
      "SELECT sweep_id, run_id, attention, model, hidden_size, train_max_length, length, n, "
      "token_accuracy, sequence_accuracy FROM length_accuracy ORDER BY length");
  ASSERT_TRUE(view.step());
  EXPECT_EQ(view.column_text(0), sweep);
  EXPECT_EQ(view.column_text(2), "additive");
  EXPECT_EQ(view.column_int(5), 15);
  EXPECT_EQ(view.column_int(6), 1);
  ASSERT_TRUE(view.step());
  EXPECT_DOUBLE_EQ(view.column_double(8), 0.9);
  EXPECT_FALSE(view.step());

  const auto sweeps = store.list_sweeps();
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].status, SweepStatus::kCompleted);
  EXPECT_EQ(sweeps[0].n_jobs, 1);
  Statement commit = store.database().prepare("SELECT git_commit FROM sweeps");
  ASSERT_TRUE(commit.step());
  EXPECT_EQ(commit.column_text(0), "abc123def456");
  EXPECT_EQ(sweeps[0].finished, 1);
}

TEST_F(RunStoreTest, SweepRunsFollowThePlanAcrossSweeps) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  const std::vector<PlannedJob> plan = {{1, {"attention=none"}, "hash-none-000", ""},
                                        {2, {"attention=dot"}, "hash-dot-0000", ""},
                                        {3, {"attention=general"}, "hash-general-", ""}};
  const std::string first = store.begin_sweep("demo", "[]", plan);
  NewRun none = sample_run("hash-none-000", "none");
  none.sweep_id = first;
  store.finish_run(store.begin_run(none), {{at(1, 10, 1.0, 1.0)}, {}, {}, 1.0});
  NewRun dot = sample_run("hash-dot-0000", "dot");
  dot.sweep_id = first;
  store.end_run(store.begin_run(dot), RunStatus::kFailed, "crashed", 1.0);

  // The resumed sweep reuses the finished run and retries the failed job.
  const std::string second = store.begin_sweep("demo", "[]", plan);
  EXPECT_NE(first, second);
  dot.sweep_id = second;
  const std::string retried = store.begin_run(dot);
  store.finish_run(retried, {{at(1, 10, 0.5, 0.5)}, {}, {}, 1.0});

  const auto runs = store.sweep_runs(second);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].run.attention, "none");
  EXPECT_EQ(runs[0].run.sweep_id, first);
  EXPECT_EQ(runs[1].run_id, retried);
  EXPECT_EQ(runs[1].status, RunStatus::kFinished);
  const auto sweeps = store.list_sweeps();
  ASSERT_EQ(sweeps.size(), 2u);
  EXPECT_EQ(sweeps[1].n_jobs, 3);
  EXPECT_EQ(sweeps[1].finished, 2);
  EXPECT_EQ(sweeps[1].failed, 0);
}

TEST_F(RunStoreTest, RepeatedHashesGetNumberedIdsAndFailuresAreKept) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  const std::string first = store.begin_run(sample_run("aaaaaaaaaaaa", "dot"));
  const std::string second = store.begin_run(sample_run("aaaaaaaaaaaa", "dot"));
  EXPECT_EQ(first, "aaaaaaaaaa");
  EXPECT_EQ(second, "aaaaaaaaaa-2");
  store.end_run(second, RunStatus::kDiverged, "training diverged", 1.0);
  EXPECT_EQ(store.find_run(second)->status, RunStatus::kDiverged);
  EXPECT_EQ(store.find_run(second)->error, "training diverged");
  EXPECT_EQ(store.find_run(first)->status, RunStatus::kRunning);
  EXPECT_FALSE(store.finished_run_with_hash("aaaaaaaaaaaa").has_value());
  EXPECT_THROW(store.find_run("aaa"), StoreError);  // ambiguous prefix
  EXPECT_FALSE(store.find_run("zzz").has_value());
  // Failed runs stay out of the view.
  Statement view = store.database().prepare("SELECT count(*) FROM length_accuracy");
  view.step();
  EXPECT_EQ(view.column_int(0), 0);
}

TEST_F(RunStoreTest, RejectsOutOfRangeAccuracyAtomically) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  const std::string id = store.begin_run(sample_run("bbbbbbbbbbbb", "general"));
  EXPECT_THROW(store.finish_run(id, {{at(1, 10, 1.0, 1.0), at(2, 10, 1.5, 0.5)}, {}, {}, 1.0}),
               StoreError);
  EXPECT_TRUE(store.evals(id).empty());  // the first row was rolled back too
  EXPECT_EQ(store.find_run(id)->status, RunStatus::kRunning);
}

TEST_F(RunStoreTest, VanishedProcessesAreInterruptedAndResumable) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  NewRun here = sample_run("cccccccccccc", "dot");
  here.environment.hostname = this_host();  // only this host's processes can be checked
  const std::string id = store.begin_run(here);
  EXPECT_EQ(store.find_run(id)->pid, ::getpid());
  EXPECT_EQ(store.reap_vanished_runs(), 0);  // this process is alive
  store.set_checkpoint(id, 500);
  EXPECT_FALSE(store.resumable_run("cccccccccccc").has_value());  // still running
  // The launcher saw the process die of SIGKILL.
  EXPECT_EQ(store.reap_vanished_runs(::getpid(), "killed by signal 9"), 1);
  auto run = store.find_run(id);
  EXPECT_EQ(run->status, RunStatus::kInterrupted);
  EXPECT_EQ(run->error, "killed by signal 9");
  EXPECT_EQ(run->pid, 0);
  const auto resumable = store.resumable_run("cccccccccccc");
  ASSERT_TRUE(resumable.has_value());
  EXPECT_EQ(resumable->run_id, id);
  EXPECT_EQ(resumable->checkpoint_step, 500);
  store.reopen_run(id, 4242);
  EXPECT_EQ(store.find_run(id)->status, RunStatus::kRunning);
  // pid 4242 is not ours; once no such process exists it is reaped.
  if (::kill(4242, 0) != 0) {
    EXPECT_EQ(store.reap_vanished_runs(), 1);
    EXPECT_EQ(store.find_run(id)->error, "process 4242 vanished (killed or crashed)");
  }
}

TEST_F(RunStoreTest, ParamsKeepTheirTypesAndTheSummaryViewHasOneRowPerRun) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  const std::string id = store.begin_run(sample_run("dddddddddddd", "general"));
  store.set_params(id, {{"model.hidden_size", std::int64_t{256}},
                        {"train.lr", 0.003},
                        {"model.cell", std::string("gru")}});
  store.log_metrics(id, {{100, "train_loss", 0.5}, {200, "train_loss", 0.25}});
  store.finish_run(
      id, {{at(1, 10, 1.0, 1.0), at(15, 10, 0.9, 0.5), at(16, 10, 0.5, 0.25)}, {}, {}, 2.0});
  Statement typed = store.database().prepare(
      "SELECT count(*) FROM params WHERE key = 'model.hidden_size' AND value > 128");
  typed.step();
  EXPECT_EQ(typed.column_int(0), 1);
  Statement summary = store.database().prepare(
      "SELECT status, final_loss, train_exact, longest_train_exact, beyond_train_exact "
      "FROM run_summary WHERE run_id = ?1");
  summary.bind(1, id);
  ASSERT_TRUE(summary.step());
  EXPECT_EQ(summary.column_text(0), "finished");
  EXPECT_DOUBLE_EQ(summary.column_double(1), 0.25);
  EXPECT_DOUBLE_EQ(summary.column_double(2), 0.75);
  EXPECT_DOUBLE_EQ(summary.column_double(3), 0.5);
  EXPECT_DOUBLE_EQ(summary.column_double(4), 0.25);
  EXPECT_EQ(store.find_run(id)->run.environment.blas, "openblas-openmp/libblas.so.3");
}

TEST_F(RunStoreTest, ReadOnlyOpenOfAMissingFileFails) {
  EXPECT_THROW(RunStore(dir_ / "missing.db", OpenMode::kReadOnly), StoreError);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "missing.db"));
}

TEST_F(RunStoreTest, ReopeningDoesNotMigrateTwice) {
  { RunStore store(dir_ / "r.db", OpenMode::kReadWrite); }
  RunStore again(dir_ / "r.db", OpenMode::kReadWrite);
  Statement s = again.database().prepare("SELECT count(*) FROM sqlite_master WHERE name = 'runs'");
  s.step();
  EXPECT_EQ(s.column_int(0), 1);
}

TEST_F(RunStoreTest, ErrorsNameTheFileAndWhatSqliteSaidButNotTheSql) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  try {
    store.database().prepare("SELECT nope FROM runs");
    FAIL() << "expected a StoreError";
  } catch (const StoreError& e) {
    EXPECT_EQ(std::string(e.what()), (dir_ / "r.db").string() + ": no such column: nope");
  }
}

// Sets the sweep's recorded driver, as another process would have.
void record_driver(RunStore& store, const std::string& sweep_id, const std::string& host,
                   std::int64_t pid, const std::string& renewed_at) {
  Statement s = store.database().prepare(
      "UPDATE sweeps SET driver_host = ?2, driver_pid = ?3, driver_renewed_at = ?4 "
      "WHERE sweep_id = ?1");
  s.bind(1, sweep_id).bind(2, host).bind(3, pid).bind(4, renewed_at);
  s.step();
}

std::string recorded_driver(RunStore& store, const std::string& sweep_id) {
  Statement s = store.database().prepare(
      "SELECT coalesce(driver_host || ' ' || driver_pid, 'none') FROM sweeps WHERE sweep_id = ?1");
  s.bind(1, sweep_id);
  s.step();
  return s.column_text(0);
}

TEST_F(RunStoreTest, OneProcessHoldsASweepsDriverLeaseAndADeadOnesIsTakenOver) {
  const auto file = dir_ / "r.db";
  RunStore store(file, OpenMode::kReadWrite);
  const std::string id = store.begin_sweep("s", "[]", {});
  const std::string me = this_host() + " " + std::to_string(::getpid());
  {
    const DriverLease lease(file, id);
    EXPECT_EQ(recorded_driver(store, id), me);
    try {
      const DriverLease second(file, id);
      FAIL() << "a second lease was granted";
    } catch (const DriverLeaseHeld& e) {
      EXPECT_NE(
          std::string(e.what()).find("sweep " + id + " is being run by another attnlab (pid " +
                                     std::to_string(::getpid()) + " on " + this_host()),
          std::string::npos)
          << e.what();
    }
  }
  EXPECT_EQ(recorded_driver(store, id), "none");  // released

  // Renewed just now on another host: its process cannot be seen, so it holds.
  record_driver(store, id, "elsewhere", 1, utc_now());
  EXPECT_THROW(DriverLease(file, id), DriverLeaseHeld);
  // Nobody renewed it for longer than the lease: taken over.
  record_driver(store, id, "elsewhere", 1, "2026-01-01T00:00:00Z");
  { const DriverLease lease(file, id); }
  // A driver of this host whose process is gone: taken over at once.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  record_driver(store, id, this_host(), child, utc_now());
  {
    const DriverLease lease(file, id);
    EXPECT_EQ(recorded_driver(store, id), me);
  }
}

TEST_F(RunStoreTest, ADriverLeaseIsRenewedWhileItIsHeld) {
  const auto file = dir_ / "r.db";
  RunStore store(file, OpenMode::kReadWrite);
  const std::string id = store.begin_sweep("s", "[]", {});
  const DriverLease lease(file, id, std::chrono::milliseconds(100));
  Statement age_back = store.database().prepare(
      "UPDATE sweeps SET driver_renewed_at = '2026-01-01T00:00:00Z' WHERE sweep_id = ?1");
  age_back.bind(1, id);
  age_back.step();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  Statement renewed =
      store.database().prepare("SELECT driver_renewed_at FROM sweeps WHERE sweep_id = ?1");
  renewed.bind(1, id);
  ASSERT_TRUE(renewed.step());
  EXPECT_NE(renewed.column_text(0), "2026-01-01T00:00:00Z");
}

TEST_F(RunStoreTest, OfDriversRacingForASweepExactlyOneGetsIt) {
  const auto file = dir_ / "r.db";
  std::string id;
  {
    RunStore store(file, OpenMode::kReadWrite);
    id = store.begin_sweep("s", "[]", {});
  }
  std::vector<std::unique_ptr<DriverLease>> leases(6);
  std::atomic<int> refused{0};
  std::vector<std::thread> drivers;
  for (auto& lease : leases) {
    drivers.emplace_back([&] {
      try {
        lease = std::make_unique<DriverLease>(file, id);
      } catch (const DriverLeaseHeld&) {
        ++refused;
      }
    });
  }
  for (auto& driver : drivers)
    driver.join();
  EXPECT_EQ(refused.load(), 5);
  EXPECT_EQ(std::count_if(leases.begin(), leases.end(), [](const auto& l) { return l != nullptr; }),
            1);
}

// docs/schema.md documents the live schema: every table and view under a
// "### `name`" heading, every column of it as a "| `column` |" row, in order.
TEST_F(RunStoreTest, TheSchemaDocumentDescribesEveryTableViewAndColumn) {
  RunStore store(dir_ / "r.db", OpenMode::kReadWrite);
  std::map<std::string, std::vector<std::string>> live;
  Statement objects = store.database().prepare(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE "
      "'sqlite_%' ORDER BY name");
  while (objects.step()) {
    const std::string name = objects.column_text(0);
    Statement columns = store.database().prepare("SELECT name FROM pragma_table_info(?1)");
    columns.bind(1, name);
    while (columns.step())
      live[name].push_back(columns.column_text(0));
  }
  const std::filesystem::path doc =
      std::filesystem::path(ATTNLAB_TEST_DATA).parent_path().parent_path() / "docs" / "schema.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  std::map<std::string, std::vector<std::string>> documented;
  std::string current;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("### `", 0) == 0) {
      current = line.substr(5, line.find('`', 5) - 5);
      EXPECT_EQ(documented.count(current), 0u) << current << " is documented twice";
      documented[current];
    } else if (!current.empty() && line.rfind("| `", 0) == 0) {
      documented[current].push_back(line.substr(3, line.find('`', 3) - 3));
    } else if (line.rfind("## ", 0) == 0) {
      current.clear();
    }
  }
  EXPECT_EQ(documented, live);
}

// The names the database stores, each read back as the status it names.
TEST(Statuses, RunAndSweepStatusesRoundTripThroughTheirNames) {
  for (const auto& [name, status] : run_statuses().entries())
    EXPECT_EQ(run_statuses().at(status_name(status)), status) << name;
  EXPECT_EQ(run_statuses().names(),
            (std::vector<std::string>{"running", "finished", "failed", "diverged", "interrupted"}));
  for (const auto& [name, status] : sweep_statuses().entries())
    EXPECT_EQ(sweep_statuses().at(status_name(status)), status) << name;
  EXPECT_EQ(sweep_statuses().names(), (std::vector<std::string>{"running", "completed", "failed"}));
}

}  // namespace
}  // namespace attnlab::store
