// kill -9 trials: a sweep's driver or one of its workers is killed at a
// random moment (the driver now and then by SIGTERM or SIGINT instead), in
// some trials again while the sweep resumes, and the sweep is resumed until
// it completes. Then every job has exactly one finished run, with the
// numbers of a sweep nobody interrupted; nothing is left running; and
// SQLite's integrity_check says ok. ATTNLAB_KILL_TRIALS sets how many trials
// run (default 6); ATTNLAB_KILL_SEED replays the draws of a failure, which
// names its seed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/shell.h"

namespace {

namespace fs = std::filesystem;
using attnlab::testing::contains;
using Result = attnlab::testing::ShellResult;
using Clock = std::chrono::steady_clock;

const fs::path kBinary = ATTNLAB_BINARY;
const fs::path kData = ATTNLAB_TEST_DATA;

// Every trial's sweep: 4 jobs, 2 at a time, each checkpointing 5 times.
const std::string kSweep =
    "sweep attention=none,dot seed=1,2 train.steps=600 train.log_every=50 train.eval_every=100 "
    "+train.checkpoint_every=100 --jobs 2";

// What a sweep nobody interrupted must also have computed: each job's
// losses and scores, by job.
const std::string kNumbers =
    "SELECT j.job_index, m.step, m.value FROM sweep_jobs j JOIN runs r ON r.config_hash = "
    "j.config_hash AND r.status = 'finished' JOIN metrics m ON m.run_id = r.run_id AND m.name = "
    "'train_loss' UNION ALL SELECT j.job_index, e.length, e.sequence_accuracy FROM sweep_jobs j "
    "JOIN runs r ON r.config_hash = j.config_hash AND r.status = 'finished' JOIN evals e ON "
    "e.run_id = r.run_id ORDER BY 1, 2, 3";

int env_int(const char* name, int otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : otherwise;
}

class KillTrials : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnlab-kill-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // attnlab on `db` with the test configs, as a shell command.
  static std::string attnlab(const std::string& db, const std::string& args) {
    return "'" + kBinary.string() + "' --db " + db + " --config-dir '" +
           (kData / "configs").string() + "' " + args;
  }

  Result shell(const std::string& command) {
    return attnlab::testing::run_shell(dir_, "true", command);
  }

  // Rows of a read-only query as CSV, without the header.
  std::string query(const std::string& db, const std::string& sql) {
    const Result r = shell(attnlab(db, "query --format csv \"" + sql + "\""));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output.substr(std::min(r.output.size(), r.output.find('\n') + 1));
  }

  // Starts attnlab in the background, appending what it says to `log`.
  pid_t start(const std::string& db, const std::string& args, const std::string& log) {
    const std::string line =
        "cd '" + dir_.string() + "' && exec " + attnlab(db, args) + " >> " + log + " 2>&1";
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }

  // Waits until no run of `db` is recorded as running: the workers a killed
  // driver leaves record themselves interrupted when it dies.
  void wait_for_orphans(const std::string& db) {
    const auto until = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < until) {
      if (!fs::exists(dir_ / db) ||
          query(db, "SELECT count(*) FROM runs WHERE status = 'running'") == "0\n") {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "runs still recorded as running 120 s after their driver died";
  }

  // Kills one of the driver's running workers (for `worker`, when one runs)
  // with SIGKILL, else the driver: with SIGKILL, or now and then with SIGTERM
  // or SIGINT, which it must pass on to its workers. The driver is waited
  // for either way. Returns what was killed.
  std::string kill_one(pid_t driver, bool worker, const std::string& db, std::mt19937& draw) {
    std::vector<std::string> pids;
    if (worker && fs::exists(dir_ / db)) {
      const std::string rows =
          query(db, "SELECT pid FROM runs WHERE status = 'running' AND pid IS NOT NULL");
      for (size_t at = 0, end; (end = rows.find('\n', at)) != std::string::npos; at = end + 1)
        pids.push_back(rows.substr(at, end - at));
    }
    std::string killed;
    if (pids.empty()) {
      const int signal = std::vector<int>{SIGKILL, SIGKILL, SIGTERM, SIGINT}[draw() % 4];
      ::kill(driver, signal);
      killed = std::string("the driver by ") + (signal == SIGKILL   ? "SIGKILL"
                                                : signal == SIGTERM ? "SIGTERM"
                                                                    : "SIGINT");
    } else {
      const std::string pid = pids[draw() % pids.size()];
      ::kill(static_cast<pid_t>(std::stol(pid)), SIGKILL);
      killed = "worker " + pid + " by SIGKILL";
    }
    int status = 0;
    ::waitpid(driver, &status, 0);
    wait_for_orphans(db);
    return killed;
  }

  // `sweep --resume ID`; the sweep's own command when it was killed before
  // it was recorded.
  std::string resume_command(const std::string& db) {
    if (!fs::exists(dir_ / db)) return kSweep;
    const std::string id = query(db, "SELECT sweep_id FROM sweeps");
    return id.empty() ? kSweep : "sweep --resume " + id.substr(0, id.size() - 1);
  }

  fs::path dir_;
};

TEST_F(KillTrials, EveryJobRunsExactlyOnceWithTheNumbersOfAnUninterruptedSweep) {
  const auto began = Clock::now();
  const Result reference = shell(attnlab("reference.db", kSweep));
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  const double seconds = std::chrono::duration<double>(Clock::now() - began).count();
  const std::string numbers = query("reference.db", kNumbers);
  ASSERT_NE(numbers, "");

  const int trials = env_int("ATTNLAB_KILL_TRIALS", 6);
  const unsigned seed =
      static_cast<unsigned>(env_int("ATTNLAB_KILL_SEED", static_cast<int>(std::random_device()())));
  std::cout << "an uninterrupted sweep took " << seconds << " s; ATTNLAB_KILL_SEED=" << seed
            << std::endl;
  std::mt19937 draw(seed);
  std::uniform_real_distribution<double> moment(0.0, seconds);
  for (int trial = 0; trial < trials; ++trial) {
    const std::string db = "trial-" + std::to_string(trial) + "/t.db";
    const std::string log = "trial-" + std::to_string(trial) + ".log";
    fs::create_directories(dir_ / ("trial-" + std::to_string(trial)));
    const double first = moment(draw);
    const bool worker = draw() % 2 == 0;
    const bool twice = draw() % 2 == 0;  // again during the resume
    const double second = moment(draw);
    std::ostringstream trace;
    trace << "ATTNLAB_KILL_SEED=" << seed << ", trial " << trial << ": after " << first << " s";

    pid_t driver = start(db, kSweep, log);
    std::this_thread::sleep_for(std::chrono::duration<double>(first));
    trace << ", " << kill_one(driver, worker, db, draw);
    if (twice) {
      driver = start(db, resume_command(db), log);
      std::this_thread::sleep_for(std::chrono::duration<double>(second));
      trace << "; " << second << " s into the resume, " << kill_one(driver, !worker, db, draw);
    }
    std::cout << trace.str() << std::endl;
    SCOPED_TRACE(trace.str());
    const Result resumed =
        shell(attnlab(db, resume_command(db)) + " >> " + log + " 2>&1; echo exit=$?");
    ASSERT_EQ(resumed.output, "exit=0\n") << attnlab::testing::read_file(dir_ / log);

    EXPECT_EQ(query(db,
                    "SELECT count(*) FROM sweep_jobs j WHERE (SELECT count(*) FROM runs r "
                    "WHERE r.config_hash = j.config_hash AND r.status = 'finished') <> 1"),
              "0\n");
    EXPECT_EQ(query(db, "SELECT count(*) FROM sweeps"), "1\n");
    EXPECT_EQ(query(db, "SELECT count(*) FROM runs WHERE status = 'running'"), "0\n");
    EXPECT_EQ(query(db, "PRAGMA integrity_check"), "ok\n");
    EXPECT_EQ(query(db, kNumbers), numbers);
    EXPECT_FALSE(contains(attnlab::testing::read_file(dir_ / log), "locked"));
  }
}

}  // namespace
