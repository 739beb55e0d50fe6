// `attnlab sweep --launcher slurm` against a real Slurm: the single-node
// cluster of scripts/slurm-local.sh (Debian's slurmctld, slurmd and munged),
// started once per test process. It needs root and those packages; without
// either every test is skipped with a message. The tests share one cluster
// folder and port, so ctest runs them one at a time (RESOURCE_LOCK).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <utility>

#include "tests/e2e/shell.h"

namespace {

namespace fs = std::filesystem;
using attnlab::testing::contains;
using attnlab::testing::run_shell;
using Result = attnlab::testing::ShellResult;

const fs::path kBinary = ATTNLAB_BINARY;
const fs::path kData = ATTNLAB_TEST_DATA;
const fs::path kScript = fs::path(ATTNLAB_SOURCE_DIR) / "scripts" / "slurm-local.sh";
const fs::path kCluster = fs::temp_directory_path() / "attnlab-slurm-test";
constexpr int kPort = 6917;

// What scripts/slurm-local.sh runs, by the Debian package that installs it.
// Empty when all are there, else a message naming what is missing.
std::string missing_slurm() {
  const std::pair<const char*, const char*> kPrograms[] = {{"/usr/sbin/slurmctld", "slurmctld"},
                                                           {"/usr/sbin/slurmd", "slurmd"},
                                                           {"/usr/bin/sbatch", "slurm-client"},
                                                           {"/usr/sbin/munged", "munge"}};
  std::string programs;
  std::string packages;
  int missing = 0;
  for (const auto& [program, package] : kPrograms) {
    if (::access(program, X_OK) == 0) continue;
    programs += (missing ? ", " : "") + std::string(program);
    packages += (missing ? " " : "") + std::string(package);
    ++missing;
  }
  if (missing == 0) return "";
  return "the Slurm tests need a local Slurm, and " + programs + (missing > 1 ? " are" : " is") +
         " missing: install Debian's " + packages +
         " (scripts/install-deps.sh --test, which make test runs, does)";
}

class Slurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = missing_slurm();
    if (!skip_.empty()) return;
    if (::geteuid() != 0) {
      skip_ = "the Slurm tests start slurmd, which needs root; run them as root (CI does)";
      return;
    }
    const std::string script = "'" + kScript.string() + "' ";
    const std::string where = "'" + kCluster.string() + "' --port " + std::to_string(kPort);
    // A cluster a crashed test process left behind is stopped first.
    const Result up =
        run_shell(fs::temp_directory_path(), "true",
                  script + "down '" + kCluster.string() + "' && " + script + "up " + where);
    if (up.exit_code != 0) start_error_ = "slurm-local.sh up failed:\n" + up.output;
  }

  static void TearDownTestSuite() {
    if (::geteuid() == 0) {
      run_shell(fs::temp_directory_path(), "true",
                "'" + kScript.string() + "' down '" + kCluster.string() + "'");
    }
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(start_error_.empty()) << start_error_;
    dir_ = fs::temp_directory_path() /
           ("attnlab-slurm-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    // Tasks of this test still queued would write into a removed folder.
    shell("scancel -n attnlab-sweep >/dev/null 2>&1; true");
    fs::remove_all(dir_);
  }

  // Runs a shell line in the test's folder, with SLURM_CONF pointing at the
  // test cluster and ATTNLAB at the binary.
  Result shell(const std::string& command) {
    return run_shell(dir_,
                     "export SLURM_CONF='" + (kCluster / "etc" / "slurm.conf").string() +
                         "' ATTNLAB='" + kBinary.string() + "'",
                     command);
  }

  // attnlab with the small test configs; `db` names the database.
  Result attnlab(const std::string& args, const std::string& db = "results/t.db") {
    return shell("\"$ATTNLAB\" --db " + db + " --config-dir '" + (kData / "configs").string() +
                 "' " + args);
  }

  // One value from a query (the second line of its CSV).
  std::string value(const std::string& sql) {
    const std::string out = attnlab("query --format csv \"" + sql + "\"").output;
    const auto first = out.find('\n');
    if (first == std::string::npos) return out;
    return out.substr(first + 1, out.find('\n', first + 1) - first - 1);
  }

  static std::string array_id(const std::string& output) {
    std::smatch m;
    return std::regex_search(output, m, std::regex("submitted Slurm array ([0-9]+)")) ? m[1].str()
                                                                                      : "";
  }

  static std::string skip_;
  static std::string start_error_;
  fs::path dir_;
};

std::string Slurm::skip_;
std::string Slurm::start_error_;

TEST_F(Slurm, ASweepThroughSlurmEqualsTheSameSweepRunLocally) {
  const std::string sweep = "sweep attention=none,dot seed=1,2";
  const Result slurm = attnlab(sweep + " --launcher slurm launcher.poll_seconds=0.5");
  ASSERT_EQ(slurm.exit_code, 0) << slurm.output;
  EXPECT_TRUE(contains(slurm.output, "through Slurm")) << slurm.output;
  EXPECT_TRUE(contains(slurm.output, "tasks 1-4, 1 CPU(s) and 01:00:00 each")) << slurm.output;
  EXPECT_TRUE(contains(slurm.output, "progress: 4/4 done, 0 failed")) << slurm.output;
  EXPECT_TRUE(contains(slurm.output, "4 of 4 job(s) finished")) << slurm.output;
  const std::string array = array_id(slurm.output);
  ASSERT_FALSE(array.empty()) << slurm.output;
  const Result local = attnlab(sweep, "results/local.db");
  ASSERT_EQ(local.exit_code, 0) << local.output;

  // Every number but the timings and the machine's measured peak is the same.
  for (const char* sql :
       {"SELECT r.config_hash, r.seed, r.status, e.length, e.n, e.token_accuracy, "
        "e.sequence_accuracy, e.outcomes FROM runs r JOIN evals e USING (run_id) ORDER BY 1, 4",
        "SELECT r.config_hash, s.split, s.n, s.token_accuracy, s.bleu FROM runs r JOIN scores s "
        "USING (run_id) ORDER BY 1, 2",
        "SELECT r.config_hash, m.step, m.name, m.value FROM runs r JOIN metrics m USING (run_id) "
        "WHERE m.name NOT IN ('elapsed_seconds', 'steps_per_second', 'peak_gflops') "
        "ORDER BY 1, 2, 3",
        "SELECT r.config_hash, x.example_index, x.prediction, x.weights FROM runs r JOIN examples "
        "x USING (run_id) ORDER BY 1, 2"}) {
    const std::string query = std::string("query --format csv \"") + sql + "\"";
    const Result from_slurm = attnlab(query);
    const Result from_local = attnlab(query, "results/local.db");
    EXPECT_GT(std::count(from_slurm.output.begin(), from_slurm.output.end(), '\n'), 4) << sql;
    EXPECT_EQ(from_slurm.output, from_local.output) << sql;
  }

  // Each run carries its Slurm task; each task's final state is recorded.
  EXPECT_EQ(value("SELECT group_concat(slurm_job_id, ' ') FROM (SELECT slurm_job_id FROM runs "
                  "ORDER BY slurm_job_id)"),
            array + "_1 " + array + "_2 " + array + "_3 " + array + "_4");
  EXPECT_EQ(value("SELECT group_concat(DISTINCT state) FROM slurm_tasks"), "COMPLETED");
  EXPECT_TRUE(contains(attnlab("ls sweeps").output, "slurm")) << attnlab("ls sweeps").output;
  const std::string run_id =
      value("SELECT run_id FROM runs WHERE slurm_job_id = '" + array + "_1'");
  EXPECT_TRUE(contains(attnlab("show " + run_id).output, "slurm job:    " + array + "_1"));

  // Merging the shards again changes nothing.
  const std::string sweep_id = value("SELECT sweep_id FROM sweeps");
  const std::string shards = "results/sweeps/" + sweep_id + "/shards";
  const std::string counts =
      "SELECT (SELECT count(*) FROM runs) || ' ' || (SELECT count(*) FROM evals) || ' ' || "
      "(SELECT count(*) FROM metrics) || ' ' || (SELECT count(*) FROM examples)";
  const std::string before = value(counts);
  for (int pass = 0; pass < 2; ++pass) {
    const Result merged = attnlab("merge " + shards);
    EXPECT_EQ(merged.exit_code, 0) << merged.output;
    EXPECT_TRUE(contains(merged.output,
                         "merged 4 shard(s) into results/t.db: 0 run(s) added, 0 "
                         "updated, 4 unchanged, 0 still running"))
        << merged.output;
    EXPECT_EQ(value(counts), before);
  }
  // A shard that is not a database is reported, exits 1, and changes nothing.
  fs::create_directories(dir_ / shards / "job-9");
  std::ofstream(dir_ / shards / "job-9" / "attnlab.db") << "half a page of something else\n";
  const Result bad = attnlab("merge " + shards + "/job-9/attnlab.db");
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(contains(bad.output, "job-9/attnlab.db: not merged")) << bad.output;
  EXPECT_EQ(value(counts), before);
}

TEST_F(Slurm, FailedAndCancelledTasksAreRecordedAndRerunOnResume) {
  // Two tasks run at once on the two-CPU node; the third waits for a CPU.
  const Result submitted = attnlab(
      "sweep attention=dot seed=1,2,3 train.steps=3000 train.log_every=100 train.eval_every=3000 "
      "+train.checkpoint_every=100 --launcher slurm --no-wait");
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  EXPECT_TRUE(contains(submitted.output, "not waiting (--no-wait)")) << submitted.output;
  const std::string a = array_id(submitted.output);
  const std::string sweep_id = value("SELECT sweep_id FROM sweeps");
  ASSERT_FALSE(a.empty());
  const std::string logs = "results/sweeps/" + sweep_id;

  // Once tasks 1 and 2 have trained a while: kill task 1's process (the
  // task fails) and scancel task 2.
  // ("job-[1]" keeps pkill from matching this shell's own command line.)
  const Result stopped =
      shell("for i in $(seq 1200); do [ $(grep -l 'step    200' " + logs +
            "/job-*.log 2>/dev/null | wc -l) -ge 2 ] && break; sleep 0.1; done; "
            "pkill -KILL -f '" +
            sweep_id + "/shards/job-[1]/attnlab.db'; scancel " + a + "_2; " +
            "for i in $(seq 600); do s=$(squeue -h -r -t all -j " + a +
            " -o '%i=%T' | sort | tr '\\n' ' '); "
            "case \"$s\" in *_1=FAILED*_2=CANCELLED*) break ;; esac; sleep 0.1; done; echo \"$s\"");
  EXPECT_TRUE(contains(stopped.output, a + "_1=FAILED")) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, a + "_2=CANCELLED")) << stopped.output;

  // A resume records both and resubmits just those two.
  const Result resubmitted = attnlab("sweep --resume " + sweep_id + " --no-wait");
  ASSERT_EQ(resubmitted.exit_code, 0) << resubmitted.output;
  EXPECT_TRUE(contains(resubmitted.output, "[1/3] ended earlier as Slurm task " + a +
                                               "_1 (FAILED); submitting it again"))
      << resubmitted.output;
  EXPECT_TRUE(contains(resubmitted.output, "[2/3] ended earlier as Slurm task " + a +
                                               "_2 (CANCELLED); submitting it again"))
      << resubmitted.output;
  EXPECT_TRUE(contains(resubmitted.output, ": tasks 1-2, ")) << resubmitted.output;
  const std::string b = array_id(resubmitted.output);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(value("SELECT status || ' ' || (error LIKE '%Slurm task " + a +
                  "_1 failed%') FROM runs WHERE slurm_job_id = '" + a + "_1'"),
            "failed 1");
  // scancel sends SIGTERM first: the run records that itself.
  EXPECT_EQ(value("SELECT status || ' ' || (error LIKE '%signal 15%') FROM runs WHERE "
                  "slurm_job_id = '" +
                  a + "_2'"),
            "interrupted 1");
  EXPECT_EQ(value("SELECT group_concat(slurm_job_id || '=' || state, ' ') FROM (SELECT * FROM "
                  "slurm_tasks WHERE slurm_job_id IN ('" +
                  a + "_1', '" + a + "_2') ORDER BY 1)"),
            a + "_1=FAILED " + a + "_2=CANCELLED");

  // The last resume waits: both reruns go on from their checkpoints and
  // every job finishes, one run each.
  const Result finished = attnlab("sweep --resume " + sweep_id + " launcher.poll_seconds=0.5");
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  EXPECT_TRUE(contains(finished.output, "3 of 3 job(s) finished")) << finished.output;
  EXPECT_EQ(value("SELECT count(*) || ' ' || sum(status = 'finished') FROM runs"), "3 3");
  EXPECT_EQ(value("SELECT group_concat(slurm_job_id, ' ') FROM (SELECT slurm_job_id FROM runs "
                  "WHERE slurm_job_id LIKE '" +
                  b + "\\_%' ESCAPE '\\' ORDER BY 1)"),
            b + "_1 " + b + "_2");
  for (const char* job : {"job-1.log", "job-2.log"}) {
    EXPECT_TRUE(
        contains(attnlab::testing::read_file(dir_ / logs / job), "resumed from the checkpoint"))
        << job;
  }
}

TEST_F(Slurm, BadLauncherInputIsAClearErrorAndLosesNothing) {
  Result r = attnlab("sweep seed=1 --launcher slurm launcher.partition=nosuch");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "sbatch refused the array")) << r.output;
  EXPECT_TRUE(contains(r.output, "Invalid partition name")) << r.output;
  EXPECT_EQ(value("SELECT status FROM sweeps"), "failed");

  r = attnlab("sweep seed=1 --launcher slurm launcher.bogus=1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown launcher option 'bogus'; valid: partition")) << r.output;
  r = attnlab("sweep seed=1 --launcher slurm launcher.time=soon");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "not a Slurm time")) << r.output;
  r = attnlab("sweep seed=1 launcher.time=01:00:00");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "add --launcher slurm")) << r.output;
  r = attnlab("sweep seed=1 --no-wait");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = attnlab("sweep seed=1 --launcher pbs");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "valid: local, slurm")) << r.output;
}

}  // namespace
