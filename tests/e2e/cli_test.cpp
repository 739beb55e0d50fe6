// The real binary, as a user drives it: exit codes and messages for bad
// input, and a tiny run and sweep through to the database and the figure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/browser.h"
#include "tests/e2e/shell.h"

namespace {

namespace fs = std::filesystem;
const fs::path kBinary = ATTNLAB_BINARY;
const fs::path kData = ATTNLAB_TEST_DATA;
const fs::path kRepo = kData.parent_path().parent_path();

// The names of the YAML files in `dir` (a config group, experiments/), so
// that a new scorer, task or experiment is covered without a test edit.
std::vector<std::string> yaml_stems(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

using Result = attnlab::testing::ShellResult;
using attnlab::testing::contains;
using attnlab::testing::read_file;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attnlab-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs attnlab in the test's folder with the small test configs.
  Result attnlab(const std::string& args) {
    return shell("\"$ATTNLAB\" --db results/t.db --config-dir '" + (kData / "configs").string() +
                 "' " + args);
  }

  // Runs a shell command in the test's folder; ATTNLAB is the binary.
  Result shell(const std::string& command) {
    return attnlab::testing::run_shell(dir_, "ATTNLAB='" + kBinary.string() + "'", command);
  }

  // Records a driver on host login2 (pid 77) holding every sweep's lease,
  // renewed just now, as a driver on another machine would.
  bool drive_sweeps_from_another_host() {
    return shell(
               "sqlite3 results/t.db \"UPDATE sweeps SET driver_host = 'login2', driver_pid = "
               "77, driver_renewed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')\"")
               .exit_code == 0;
  }

  fs::path dir_;
};

TEST_F(Cli, EveryShippedTaskRunsThroughTheBinary) {
  // The repository's own config tree, small budgets; corpora from fixtures.
  const std::string base = "\"$ATTNLAB\" --db results/t.db --config-dir '" +
                           (kRepo / "configs").string() +
                           "' run train.steps=3 train.batch_size=4 task.eval_examples=2 ";
  const std::string corpora = (kData / "corpora").string();
  const std::vector<std::string> runs = {
      "task=copy task.test_lengths=[2,3]",
      "task=reverse task.test_lengths=[2,3]",
      "task=sort task.test_lengths=[2,3]",
      "task=addition task.test_lengths=[2,3]",
      "task=dates task.size=2000 task.test_lengths=[10,12]",
      "task=numbers task.language=de task.train_lengths=[1,3] task.test_lengths=[2,4]",
      "task=numbers task.direction=to_words task.train_lengths=[1,3] task.test_lengths=[2,3]",
      "task=g2p_cmudict task.path=" + corpora + "/cmudict_small.out task.test_lengths=[4,6]",
      "task=tsv task.path=" + corpora +
          "/pairs.tsv task.tokenize=whitespace "
          "task.test_lengths=[2,3]"};
  for (const auto& args : runs) {
    const Result r = shell(base + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "test ")) << args << "\n" << r.output;
  }
  const Result r = attnlab(
      "query --format csv 'SELECT task, count(*) AS runs FROM runs WHERE status = "
      "\"finished\" GROUP BY task ORDER BY task'");
  EXPECT_EQ(r.output,
            "task,runs\naddition,1\ncopy,1\ndates,1\ng2p_cmudict,1\nnumbers,2\nreverse,1\n"
            "sort,1\ntsv,1\n");
  // The corpus tasks also score their dev split.
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS n FROM scores WHERE split = "
                    "\"dev\"'")
                .output,
            "n\n3\n");
}

TEST_F(Cli, EveryShippedExperimentPlansAndItsClaimsParse) {
  const auto experiments = yaml_stems(kRepo / "experiments");
  ASSERT_GE(experiments.size(), 6u);
  for (const auto& experiment : experiments) {
    const Result r = shell("\"$ATTNLAB\" --db results/t.db --config-dir '" +
                           (kRepo / "configs").string() + "' sweep " + experiment + " --dry-run");
    EXPECT_EQ(r.exit_code, 0) << experiment << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "#0 : ")) << experiment << "\n" << r.output;
  }
}

TEST_F(Cli, EverythingAStudyWritesStaysUnderItsOutputRoot) {
  const std::string attnlab_in =
      "\"$ATTNLAB\" --config-dir '" + (kData / "configs").string() + "' ";
  const Result r =
      shell(attnlab_in + "--root study sweep attention=none model.hidden_size=8,12 train.steps=5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id =
      shell(attnlab_in + "--root study query --format csv 'SELECT sweep_id FROM sweeps'")
          .output.substr(9, 22);
  EXPECT_TRUE(fs::exists(dir_ / "study/results/attnlab.db"));
  EXPECT_TRUE(fs::exists(dir_ / "study/results/sweeps" / id)) << id;
  EXPECT_TRUE(fs::exists(dir_ / "study/reports" / id / "index.html")) << r.output;
  EXPECT_TRUE(contains(r.output, "report: study/reports/" + id + "/index.html")) << r.output;
  EXPECT_EQ(
      std::distance(fs::directory_iterator(dir_ / "study/results/runs"), fs::directory_iterator()),
      2);
  EXPECT_FALSE(fs::exists(dir_ / "results"));
  EXPECT_FALSE(fs::exists(dir_ / "reports"));
  // ATTNLAB_ROOT says the same; --db alone keeps the reports beside the database.
  EXPECT_EQ(shell("ATTNLAB_ROOT=study " + attnlab_in + "report " + id).exit_code, 0);
  EXPECT_EQ(shell(attnlab_in + "--db study/results/attnlab.db report " + id).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir_ / "study/results/reports" / id / "index.html"));
  // A report re-laid out from the command line, and bad layouts named.
  const std::string report = attnlab_in + "--root study report " + id + " ";
  Result again = shell(report +
                       "--facets none --lines model.hidden_size --headline 2-4 "
                       "--figures accuracy_by_length,summary_grid --out restyled");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "2-4 % [95 % CI]")) << again.output;
  EXPECT_TRUE(fs::exists(dir_ / "restyled/accuracy_by_length.gp"));
  EXPECT_FALSE(fs::exists(dir_ / "restyled/learning_curves.svg"));
  EXPECT_TRUE(contains(read_file(dir_ / "restyled/accuracy_by_length.dat"), "$p0l1 << EOD"));
  again = shell(report + "--figures grid");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(
      contains(again.output, "--figures: 'grid' is not a figure; valid: accuracy_by_length"))
      << again.output;
  again = shell(report + "--lines model.hidden");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(contains(again.output,
                       "--lines: no run has the setting 'model.hidden'; the swept settings: "
                       "model.hidden_size"))
      << again.output;
  again = shell(report + "--headline 4-2");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_TRUE(contains(again.output, "--headline: [4, 2] is not a range")) << again.output;
}

TEST_F(Cli, CompletionOffersCommandsOptionsExperimentsGroupsKeysAndRunIds) {
  const auto lines = [this](const std::string& words) {
    const Result r = attnlab("__complete " + words);
    EXPECT_EQ(r.exit_code, 0) << words << "\n" << r.output;
    return "\n" + r.output;
  };
  const std::string commands = lines("''");
  for (const char* command : {"\nrun\n", "\nsweep\n", "\nreport\n", "\ncompletion\n"})
    EXPECT_TRUE(contains(commands, command)) << commands;
  EXPECT_FALSE(contains(commands, "__complete"));
  EXPECT_EQ(lines("sw"), "\nsweep\n");
  // Groups and keys, then a group's options, from the test config tree.
  const std::string run = lines("run ''");
  EXPECT_TRUE(contains(run, "\nattention=\n")) << run;
  EXPECT_TRUE(contains(run, "\ntrain.steps=\n")) << run;
  EXPECT_TRUE(contains(run, "\nshort\n")) << run;  // an experiment
  EXPECT_EQ(lines("run attention=d"), "\nattention=dot\n");
  EXPECT_EQ(lines("sweep model.hidden_s"), "\nmodel.hidden_size=\n");
  EXPECT_EQ(lines("sweep sh"), "\nshort\n");
  EXPECT_EQ(lines("ls --form"), "\n--format\n");
  EXPECT_EQ(lines("ls --format ''"), "\ntable\ncsv\njson\n");
  EXPECT_EQ(lines("--db ''"), "\n:files\n");
  EXPECT_EQ(lines("completion ''"), "\nbash\nzsh\n");
  const Result nowhere = shell("\"$ATTNLAB\" __complete --config-dir no/such/folder run ''");
  EXPECT_EQ(nowhere.exit_code, 0);
  EXPECT_EQ(nowhere.output, "");
  // Run ids come from the database.
  ASSERT_EQ(attnlab("run model.hidden_size=8 attention=none train.steps=5").exit_code, 0);
  const std::string id =
      attnlab("query --format csv 'SELECT run_id FROM runs'").output.substr(7, 10);
  EXPECT_EQ(lines("show " + id.substr(0, 4)), "\n" + id + "\n");
  // The bash script, driven as bash drives it: only what follows '=' is replaced.
  const Result bash = shell(
      "ATTNLAB=\"$ATTNLAB\" bash -c 'source <(\"$ATTNLAB\" completion bash); COMP_LINE=\"$ATTNLAB "
      "--config-dir " +
      (kData / "configs").string() +
      " run attention=d\"; COMP_POINT=${#COMP_LINE}; _attnlab; printf \"%s\\n\" "
      "\"${COMPREPLY[@]}\"'");
  EXPECT_EQ(bash.output, "dot\n");
  EXPECT_TRUE(contains(attnlab("completion zsh").output, "compdef _attnlab attnlab"));
  const Result bad = attnlab("completion fish");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.output, "fish")) << bad.output;
}

TEST_F(Cli, HelpListsTheSubcommands) {
  const Result r = attnlab("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* sub : {"run", "sweep", "ls", "show", "query", "report", "config"}) {
    EXPECT_TRUE(contains(r.output, sub)) << sub;
  }
  EXPECT_EQ(attnlab("sweep --help").exit_code, 0);
  Result unknown = attnlab("frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.output,
                       "error: unknown command 'frobnicate'; valid: run, sweep, ls, show, query"))
      << unknown.output;
  unknown = attnlab("swep length_generalization");
  EXPECT_TRUE(contains(unknown.output, "unknown command 'swep' (did you mean 'sweep'?)"))
      << unknown.output;
  const Result none = attnlab("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.output.rfind("error: ", 0), 0u) << none.output;  // one spelling of errors
  const Result version = attnlab("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("attnlab 0.", 0), 0u) << version.output;
  EXPECT_TRUE(contains(version.output, "LibTorch ")) << version.output;
}

TEST_F(Cli, BenchPrintsJsonWithTheDocumentedFields) {
  Result r = attnlab(
      "bench train --format json model.hidden_size=16 model.embedding_size=8 train.batch_size=4 "
      "--steps 2 --repeats 3 --warmup 1 --threads 1 --peak-gflops 10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* field : {"\"steps_per_second\":", "\"tokens_per_second\":", "\"mfu\":",
                            "\"threads\":1,", "\"device\":\"cpu\"", "\"engine\":\"fused\"",
                            "\"peak_gflops\":10.0", "\"workload\":\"default\"", "rnn gru 16"}) {
    EXPECT_TRUE(contains(r.output, field)) << field << " in " << r.output;
  }
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "one line: " << r.output;
  // The engine is the run's: modules where asked for, or where fused does not reach.
  r = attnlab(
      "bench train --format json model=transformer model.hidden_size=16 train.batch_size=4 --steps "
      "1 "
      "--repeats 1 --warmup 0 --peak-gflops 10");
  EXPECT_TRUE(contains(r.output, "\"engine\":\"modules\"")) << r.output;
  r = attnlab("bench gemm --sizes 64 --seconds 0.05 --threads 1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "peak: ")) << r.output;
  // OpenBLAS's kernel set is reported, and one the user chose is kept.
  r = shell(
      "OPENBLAS_CORETYPE=Prescott \"$ATTNLAB\" bench gemm --format json --sizes 32 --seconds 0.01");
  EXPECT_TRUE(contains(r.output, "\"blas_core\":\"Prescott\"")) << r.output;
  r = attnlab("bench sweep --format json --jobs 2 --steps 1 --repeats 1 --launches 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* field : {"\"jobs\":2,", "\"efficiency\":", "\"launch_overhead_seconds\":",
                            "\"steps_per_second_alone\":", "\"threads\":1,"}) {
    EXPECT_TRUE(contains(r.output, field)) << field << " in " << r.output;
  }
  r = attnlab("bench train --workload huge");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "valid: default, standard, standard-512")) << r.output;
  r = attnlab("bench train +train.engine=fused model=transformer");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "the Transformer trains on modules")) << r.output;
  EXPECT_EQ(attnlab("bench train train.stpes=3").exit_code, 2);
  r = attnlab("bench train --device tpu");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "'tpu' is not a device; valid: cpu, cuda, cuda:N")) << r.output;
  r = attnlab("bench gemm --device cuda:99 --dtype bf16");  // no machine has 100 GPUs
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "'cuda:99' was asked for, but ")) << r.output;
  EXPECT_EQ(attnlab("bench gemm --dtype fp16").exit_code, 2);
  EXPECT_EQ(attnlab("bench").exit_code, 2);
}

TEST_F(Cli, AskingForTheFusedEngineWhereItDoesNotReachIsAConfigError) {
  Result r = attnlab("run +train.engine=fused model=transformer train.steps=1");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "train.engine: the fused engine does not cover this run (the "
                       "Transformer trains on modules); valid here: auto, modules"))
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results/t.db")) << "nothing written";
  r = attnlab("-q run train.steps=2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = attnlab("query --format csv \"SELECT engine FROM runs\"");
  EXPECT_EQ(r.output, "engine\nfused\n");
}

TEST_F(Cli, BadConfigsExitTwoAndSayWhatIsWrong) {
  Result r = attnlab("run train.stpes=3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output,
                       "Could not override 'train.stpes'. To append to your config use "
                       "+train.stpes=3"))
      << r.output;
  r = attnlab("run attention=bogus");
  EXPECT_EQ(r.exit_code, 2);
  const std::string said =
      "attention/bogus.yaml:1:7: attention.name: 'bogus' is not available; valid: ";
  ASSERT_TRUE(contains(r.output, said)) << r.output;
  const std::string valid = r.output.substr(r.output.find(said) + said.size());
  for (const auto& name : yaml_stems(kRepo / "configs/attention")) {
    EXPECT_TRUE(contains(valid.substr(0, valid.find('\n')), name)) << name << "\n" << r.output;
  }
  r = attnlab("run attention=none,dot");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "use `attnlab sweep`")) << r.output;
  r = attnlab("run 'train.lr=(1'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "train.lr=(1\n           ^ unexpected '('")) << r.output;
  r = attnlab("run --config-dir '" + (kData / "bad_yaml").string() + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "bad_yaml/config.yaml:4:")) << r.output;
  r = attnlab("--config-dir /nonexistent run");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "/nonexistent/config.yaml: no such file")) << r.output;
  // No such GPU here: a CPU-only build, or (on a GPU machine) no GPU 999.
  r = attnlab("run device=cuda:999");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "device: 'cuda:999' was asked for, but ")) << r.output;
  // Nothing was recorded for any of them.
  EXPECT_FALSE(fs::exists(dir_ / "results/t.db"));
}

TEST_F(Cli, ReadCommandsOnAMissingDatabaseExitTwo) {
  for (const char* args : {"ls", "show abc", "query 'SELECT 1'", "report default"}) {
    const Result r = attnlab(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "no such database")) << r.output;
  }
}

// Read commands leave every file as it was: query runs one statement that
// only reads, refused before it runs; a SQLite file that is not attnlab's,
// or one a newer attnlab wrote, is named and left alone; an empty file is
// read (as empty) without gaining a schema.
TEST_F(Cli, ReadCommandsNeverWriteAndQueryRunsOneReadingStatement) {
  ASSERT_EQ(attnlab("run train.steps=5").exit_code, 0);
  const auto refused = [&](const std::string& sql, const std::string& why) {
    const Result r = attnlab("query \"" + sql + "\"");
    EXPECT_EQ(r.exit_code, 2) << sql << ": " << r.output;
    EXPECT_TRUE(contains(r.output, why)) << sql << ": " << r.output;
  };
  refused("SELECT 1; DELETE FROM runs", "query runs one statement");
  refused("BEGIN; DELETE FROM runs; COMMIT", "query runs one statement");
  refused("VACUUM INTO 'copy.db'", "this statement would write");
  EXPECT_FALSE(fs::exists(dir_ / "copy.db"));
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS n FROM runs; -- a comment'").output,
            "n\n1\n");

  ASSERT_EQ(shell("sqlite3 notes.db 'CREATE TABLE notes(a)'").exit_code, 0);
  for (const char* args : {"ls", "query 'SELECT * FROM notes'", "run train.steps=5"}) {
    const Result r = attnlab(std::string("--db notes.db ") + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "notes.db: not an attnlab results database (it holds 'notes'"))
        << r.output;
  }
  EXPECT_EQ(shell("sqlite3 notes.db 'SELECT group_concat(name) FROM sqlite_master; "
                  "PRAGMA user_version; PRAGMA journal_mode'")
                .output,
            "notes\n0\ndelete\n");

  std::ofstream(dir_ / "empty.db").close();
  const Result empty = attnlab("--db empty.db ls runs");
  EXPECT_EQ(empty.exit_code, 0) << empty.output;
  EXPECT_EQ(fs::file_size(dir_ / "empty.db"), 0u);

  ASSERT_EQ(
      shell("cp results/t.db newer.db && sqlite3 newer.db 'PRAGMA user_version = 999'").exit_code,
      0);
  for (const char* args : {"ls", "show abc", "query 'SELECT 1'"}) {
    const Result r = attnlab(std::string("--db newer.db ") + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "schema version 999 is newer than this attnlab understands"))
        << r.output;
  }
}

// One process drives a sweep at a time: a second --resume while the first
// holds the sweep's lock is refused (exit 2) and runs nothing. An ambiguous
// id prefix is a usage error. A damaged database is named before any
// command reads or trains.
TEST_F(Cli, OneDriverPerSweepAndADamagedDatabaseIsNamedBeforeUse) {
  Result r = attnlab("sweep attention=none,dot train.steps=5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = attnlab("query --format csv 'SELECT sweep_id FROM sweeps'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string id = r.output.substr(9, r.output.size() - 10);
  // Columns as wide as their content: the id (longer than the old fixed
  // column) and its status stay apart.
  r = attnlab("ls sweeps");
  EXPECT_TRUE(contains(r.output, id + "  completed  local")) << r.output;
  // A driver on another host renewed its lease just now: this one waits.
  ASSERT_TRUE(drive_sweeps_from_another_host());
  r = attnlab("sweep --resume " + id + " --rerun-finished");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "sweep " + id +
                                     " is being run by another attnlab (pid 77 on "
                                     "login2, its lease renewed "))
      << r.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS n FROM runs'").output, "n\n2\n");

  // A sweep without an experiment reports into a folder of its own; a
  // report replaces its folder whole (no stale figure stays) and refuses a
  // folder that holds anything else.
  EXPECT_TRUE(fs::exists(dir_ / "results/reports" / id / "index.html"));
  std::ofstream(dir_ / "results/reports" / id / "stale_figure.svg") << "<svg/>";
  r = attnlab("report " + id);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "results/reports" / id / "index.html"));
  EXPECT_FALSE(fs::exists(dir_ / "results/reports" / id / "stale_figure.svg"));
  // Three reports into one folder at once: each ends whole, the folder
  // holds one of them, and nothing is left beside it.
  r = shell("for i in 1 2 3; do \"$ATTNLAB\" --db results/t.db report " + id +
            " --out same > report-$i.log 2>&1 & done; wait; "
            "for i in 1 2 3; do tail -1 report-$i.log; done; ls -a | grep same");
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
  EXPECT_TRUE(contains(r.output, "\nsame\n")) << r.output;
  EXPECT_FALSE(contains(r.output, "same.old") || contains(r.output, ".same.drawing")) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "same" / "index.html"));
  std::ofstream(dir_ / "results/reports" / id / "notes.txt") << "mine";
  r = attnlab("report " + id);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "holds notes.txt, which a report does not write")) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "results/reports" / id / "notes.txt"));

  r = attnlab("show ''");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is ambiguous")) << r.output;
  r = attnlab("run train.steps=0");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "train.steps: expected an integer in [1, ")) << r.output;

  // A damaged page is named by readers, writers and merge, whether the
  // damage is in the database or in the shard merged into it.
  ASSERT_EQ(shell("cp results/t.db whole.db && cp results/t.db shard.db && "
                  "dd if=/dev/zero of=results/t.db bs=4096 seek=2 count=4 conv=notrunc && "
                  "dd if=/dev/zero of=shard.db bs=4096 seek=2 count=4 conv=notrunc")
                .exit_code,
            0);
  r = attnlab("--db whole.db merge shard.db");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // merge's code for a shard it could not read
  EXPECT_TRUE(contains(r.output, "shard.db: the database is damaged")) << r.output;
  for (const char* args :
       {"ls", "query 'SELECT count(*) FROM runs'", "run train.steps=5", "merge whole.db"}) {
    r = attnlab(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "results/t.db")) << r.output;
    EXPECT_TRUE(contains(r.output, "damaged") || contains(r.output, "malformed")) << r.output;
  }
}

// Another user can read a database in a folder only its owner may write
// (SQLite cannot make its shared-memory file there), and a writer is told
// the file cannot be written before any work. Needs root, to act as nobody.
TEST_F(Cli, AnotherUserReadsADatabaseInAFolderItCannotWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run attnlab as another user";
  ASSERT_EQ(attnlab("run train.steps=5").exit_code, 0);
  ASSERT_EQ(shell("chmod 755 . results && chmod 644 results/t.db").exit_code, 0);
  const std::string as_nobody =
      "setpriv --reuid=65534 --regid=65534 --clear-groups \"$ATTNLAB\" "
      "--db results/t.db --config-dir '" +
      (kData / "configs").string() + "' ";
  Result r = shell(as_nobody + "query --format csv 'SELECT status FROM runs'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "status\nfinished\n");
  r = shell(as_nobody + "run train.steps=5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "results/t.db: cannot be written")) << r.output;
}

// A full disk: the run that meets it stops with a message that says so, the
// database stays whole, and once there is room the same command finishes.
// Needs root, to mount a small tmpfs.
TEST_F(Cli, AFullDiskStopsARunCleanlyAndItFinishesOnceThereIsRoom) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  fs::create_directories(dir_ / "disk");
  const Result mounted = shell("mount -t tmpfs -o size=1m tmpfs disk");
  if (mounted.exit_code != 0) GTEST_SKIP() << "cannot mount a tmpfs here: " << mounted.output;
  struct Unmount {
    fs::path dir;
    ~Unmount() { attnlab::testing::run_shell(dir, "true", "umount disk"); }
  } unmount{dir_};
  ASSERT_EQ(attnlab("--db disk/t.db run train.steps=5").exit_code, 0);
  // Fill the disk, then leave 8 kB: too little for the next run's records.
  shell("dd if=/dev/zero of=disk/filler bs=4k 2>/dev/null; truncate -s -8K disk/filler");
  const std::string next = "--db disk/t.db run train.steps=20 seed=2";
  Result r = attnlab(next);
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "is it full?") || contains(r.output, "No space")) << r.output;
  fs::remove(dir_ / "disk/filler");
  EXPECT_EQ(shell("sqlite3 disk/t.db 'PRAGMA integrity_check'").output, "ok\n");
  r = attnlab(next);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(attnlab("--db disk/t.db query --format csv "
                    "'SELECT count(*) AS n FROM runs WHERE status = \"finished\"'")
                .output,
            "n\n2\n");
}

TEST_F(Cli, RunStoresEverythingAndTheReadCommandsShowIt) {
  Result r = attnlab("run train.steps=20 attention=dot");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(contains(r.output, "finished")) << r.output;
  const std::string run_id = r.output.substr(4, r.output.find(':') - 4);
  EXPECT_EQ(run_id.size(), 10u) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "results/runs" / run_id / "config.yaml"));
  EXPECT_TRUE(fs::exists(dir_ / "results/runs" / run_id / "overrides.yaml"));

  r = attnlab(
      "query --format csv 'SELECT attention, count(*) AS lengths, min(length) AS lo, "
      "max(length) AS hi, sum(n) AS n FROM length_accuracy'");
  EXPECT_EQ(r.exit_code, 0);
  // Length 1 of 10 symbols has no held-out source, so it is not evaluated;
  // length 2 has 25 of its 100 sources held out.
  EXPECT_EQ(r.output, "attention,lengths,lo,hi,n\ndot,5,2,6,225\n");
  r = attnlab("query --format csv 'SELECT split, n FROM scores'");
  EXPECT_EQ(r.output, "split,n\ntest,225\n");
  r = attnlab(
      "query --format csv 'SELECT count(*) AS shown, sum(weights IS NOT NULL) AS maps "
      "FROM examples'");
  EXPECT_EQ(r.output, "shown,maps\n6,6\n");

  r = attnlab("query --format json 'SELECT status, threads FROM runs'");
  EXPECT_EQ(r.output, "[\n  {\n    \"status\": \"finished\",\n    \"threads\": 1\n  }\n]\n");
  r = attnlab("query --format csv 'SELECT peak_memory_bytes > 50000000 AS measured FROM runs'");
  EXPECT_EQ(r.output, "measured\n1\n");

  r = attnlab("show " + run_id.substr(0, 6));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "status:       finished")) << r.output;
  EXPECT_TRUE(contains(r.output, "MiB resident")) << r.output;
  EXPECT_TRUE(contains(r.output, "LibTorch 1.")) << r.output;
  EXPECT_TRUE(contains(r.output, "name: dot")) << r.output;

  r = attnlab("ls runs");
  EXPECT_TRUE(contains(r.output, run_id)) << r.output;
  EXPECT_EQ(attnlab("show nothing-like-this").exit_code, 2);

  r = attnlab("query 'DELETE FROM runs'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "readonly")) << r.output;
  r = attnlab("query 'SELECT * FROM no_such_table'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "no such table: no_such_table")) << r.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) FROM runs'").output, "count(*)\n1\n");
}

// A finished run keeps the weights it evaluated; decode runs them on inputs
// of one's own and gives what evaluation gave on the same input.
TEST_F(Cli, DecodeRunsAFinishedRunsWeightsOnNewInputs) {
  ASSERT_EQ(attnlab("run train.steps=200 task.test_lengths=[3,4]").exit_code, 0);
  const std::string id =
      attnlab("query --format csv 'SELECT run_id FROM runs'").output.substr(7, 10);
  // The file is the one recorded; the config is there as JSON too.
  Result r = shell("sha256sum results/runs/" + id + "/model.pt | cut -c1-64");
  EXPECT_EQ(attnlab("query --format csv \"SELECT weights_sha256, json_extract(config_json, "
                    "'$.train.steps') AS steps FROM runs\"")
                .output,
            "weights_sha256,steps\n" + r.output.substr(0, 64) + ",200\n");

  std::string example =
      attnlab(
          "query --format csv 'SELECT source, prediction FROM examples ORDER BY length DESC "
          "LIMIT 1'")
          .output;
  example = example.substr(example.find('\n') + 1);  // "a b c d,d c b a\n"
  const std::string source = example.substr(0, example.find(','));
  const std::string prediction =
      example.substr(source.size() + 1, example.size() - source.size() - 2);
  r = attnlab("decode " + id.substr(0, 6) + " '" + source + "' 'a b' --figure att.svg");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input 1:  " + source + "\noutput:   " + prediction + "\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "input 2:  a b\n")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "  attention, % (rows: output tokens; columns: input tokens)\n"
                       "          " +
                           source.substr(0, 1) + "   " + source.substr(2, 1)))
      << r.output;
  EXPECT_TRUE(contains(read_file(dir_ / "att.svg"), "<svg")) << r.output;
  r = shell("printf 'a b c\\nd e\\n' | \"$ATTNLAB\" --db results/t.db decode " + id +
            " --beam 3 -");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "input 1:  a b c\n") && contains(r.output, "input 2:  d e\n"))
      << r.output;

  // Bad input: exit 2, naming it and what is valid.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"decode " + id + " 'a Z'", "input 1 ('a Z'): 'Z' is not in run " + id +
                                      "'s vocabulary (did you mean 'a'?); valid: a, "
                                      "b, c, d, e, f, g, h, i, j"},
      {"decode " + id + " ''", "input 1 ('') is empty"},
      {"decode " + id + " 'a b c d e f g h'",
       "has 8 tokens; run " + id + "'s model takes at most "},
      {"decode " + id, "decode: no input; give inputs after the run id, or - to read one"},
      {"decode " + id + " a --figure x.gif", "valid: .png, .svg, .pdf"},
      {"decode nothing a", "no run 'nothing'"},
      {"decode " + id + " a --beam 0", "--beam"}};
  for (const auto& [args, message] : bad) {
    r = attnlab(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, message)) << args << ": " << r.output;
  }
  // Weights that are not the run's own are refused; a run may keep none.
  std::ofstream(dir_ / "results" / "runs" / id / "model.pt", std::ios::app) << "x";
  r = attnlab("decode " + id + " a");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is not the file run " + id + " wrote")) << r.output;
  ASSERT_EQ(attnlab("run attention=none train.steps=5 +train.keep_weights=false").exit_code, 0);
  const std::string none =
      attnlab("query --format csv \"SELECT run_id FROM runs WHERE attention = 'none'\"")
          .output.substr(7, 10);
  EXPECT_FALSE(fs::exists(dir_ / "results" / "runs" / none / "model.pt"));
  r = attnlab("decode " + none + " a");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "kept no weights")) << r.output;
  ASSERT_EQ(attnlab("run attention=none train.steps=5").exit_code, 0);
  const std::string kept = attnlab(
                               "query --format csv \"SELECT run_id FROM runs WHERE attention = "
                               "'none' AND weights_sha256 IS NOT NULL\"")
                               .output.substr(7, 10);
  r = attnlab("decode " + kept + " a b --figure none.png");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "(no attention weights: the model has no attention)")) << r.output;
  EXPECT_TRUE(contains(r.output, "has no attention to draw")) << r.output;
}

// diff: what differs between two runs, and every score with B - A.
TEST_F(Cli, DiffShowsWhatDiffersAndEveryScoreSideBySide) {
  ASSERT_EQ(attnlab("run train.steps=30").exit_code, 0);
  ASSERT_EQ(attnlab("run attention=dot train.steps=30 threads=2").exit_code, 0);
  const std::string ids =
      attnlab(
          "query --format csv 'SELECT group_concat(run_id, \" \") AS ids FROM (SELECT run_id "
          "FROM runs ORDER BY rowid)'")
          .output;
  const Result r = attnlab("diff " + ids.substr(4, ids.size() - 5));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "settings that differ:\n  setting               A   B\n"
                       "  attention.name additive dot\n  threads               1   2\n"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "environment that differs:\n")) << r.output;
  EXPECT_TRUE(contains(r.output, "  environment A B\n  threads     1 2\n")) << r.output;
  // Each row: bucket, score, n, A, B, B - A; the difference is B - A.
  std::istringstream lines(r.output.substr(r.output.find("scores (")));
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" %") == std::string::npos) continue;
    const std::string numbers = line.substr(line.find('%') + 1);
    std::istringstream in(numbers);
    double n = 0, a = 0, b = 0, difference = 0;
    ASSERT_TRUE(in >> n >> a >> b >> difference) << line;
    EXPECT_NEAR(difference, b - a, 0.0101) << line;
    ++rows;
  }
  const std::string buckets =
      attnlab(
          "query --format csv 'SELECT (SELECT count(*) FROM evals) + (SELECT count(*) FROM "
          "scores) AS n'")
          .output;
  EXPECT_EQ(rows, 3 * std::stoi(buckets.substr(2)) / 2) << r.output;  // 3 percentages each
  const Result unknown = attnlab("diff nothing " + ids.substr(4, 10));
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_TRUE(contains(unknown.output, "no run 'nothing'")) << unknown.output;
}

// Tags label runs without changing their identity; rm removes rows and
// folders together, after asking, and refuses what is still being run.
TEST_F(Cli, TagsLabelRunsAndRmRemovesRowsAndFoldersTogether) {
  ASSERT_EQ(attnlab("run train.steps=5 +tags.note=first").exit_code, 0);
  ASSERT_EQ(attnlab("run train.steps=5 +tags.note=second").exit_code, 0);
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(DISTINCT config_hash) AS configs, "
                    "group_concat(value, \" \") AS notes FROM runs JOIN tags USING (run_id)'")
                .output,
            "configs,notes\n1,first second\n");
  const std::string id = attnlab(
                             "query --format csv \"SELECT run_id FROM tags WHERE value = "
                             "'first'\"")
                             .output.substr(7, 10);
  EXPECT_EQ(attnlab("tag " + id + " paper=fig3").output, "note=first\npaper=fig3\n");
  EXPECT_TRUE(contains(attnlab("show " + id).output, "tags:         note=first paper=fig3\n"));
  EXPECT_EQ(attnlab("tag " + id + " --remove paper").output, "note=first\n");
  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"tag " + id + " --remove nope", "run " + id + " has no tag 'nope'"},
           {"tag " + id + " bad", "'bad' is not KEY=VALUE"},
           {"rm nothing", "no run or sweep 'nothing'"},
           {"run '+tags.note=[1,2]'", "tags.note: expected a label"}}) {
    const Result r = attnlab(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, message)) << args << ": " << r.output;
  }

  // rm asks first; no answer removes nothing.
  ASSERT_TRUE(fs::exists(dir_ / "results" / "runs" / id));
  Result r = shell("echo n | \"$ATTNLAB\" --db results/t.db rm " + id);
  EXPECT_TRUE(contains(r.output, "nothing removed")) << r.output;
  r = shell("\"$ATTNLAB\" --db results/t.db rm " + id + " < /dev/null");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "pass --yes")) << r.output;
  r = shell("echo y | \"$ATTNLAB\" --db results/t.db rm " + id);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results" / "runs" / id));
  EXPECT_EQ(attnlab("query --format csv 'SELECT (SELECT count(*) FROM runs) AS runs, (SELECT "
                    "count(*) FROM tags) AS tags, (SELECT count(*) FROM metrics WHERE run_id = "
                    "\"" +
                    id + "\") AS metrics'")
                .output,
            "runs,tags,metrics\n1,1,0\n");

  // A sweep goes with its runs, its folder and theirs; not while it is driven.
  ASSERT_EQ(attnlab("sweep attention=none,dot train.steps=5").exit_code, 0);
  const std::string sweep =
      attnlab("query --format csv 'SELECT sweep_id FROM sweeps'").output.substr(9);
  const std::string sweep_id = sweep.substr(0, sweep.size() - 1);
  ASSERT_TRUE(drive_sweeps_from_another_host());
  r = attnlab("rm " + sweep_id + " --yes");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is being run by another attnlab")) << r.output;
  ASSERT_EQ(shell("sqlite3 results/t.db 'UPDATE sweeps SET driver_pid = NULL'").exit_code, 0);
  r = attnlab("rm " + sweep_id + " --yes");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "its 2 run(s) and their folders")) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results" / "sweeps" / sweep_id));
  EXPECT_EQ(attnlab("query --format csv 'SELECT (SELECT count(*) FROM sweeps) AS sweeps, (SELECT "
                    "count(*) FROM sweep_jobs) AS jobs, (SELECT count(*) FROM runs) AS runs'")
                .output,
            "sweeps,jobs,runs\n0,0,1\n");
  size_t folders = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ / "results" / "runs"))
    ++folders;
  EXPECT_EQ(folders, 1u);
  EXPECT_EQ(attnlab("query --format csv 'PRAGMA foreign_key_check'").output,
            "table,rowid,parent,fkid\n");
}

// ls and show print tables, CSV or JSON at full precision; ls filters with
// SQL over run_summary, sorts and picks columns, and names what is valid.
TEST_F(Cli, LsAndShowFilterSortAndPrintTablesCsvAndJson) {
  const Result first = attnlab("run train.steps=30");
  ASSERT_EQ(first.exit_code, 0);
  // Reverse has a gold alignment: the attention's alignment error is a column.
  EXPECT_TRUE(contains(first.output, "perplexity     AER  on gold\n")) << first.output;
  ASSERT_EQ(attnlab("run attention=dot train.steps=30 seed=3").exit_code, 0);
  const std::string dot = attnlab(
                              "query --format csv \"SELECT run_id FROM runs WHERE attention "
                              "= 'dot'\"")
                              .output.substr(7, 10);
  const std::string additive = attnlab(
                                   "query --format csv \"SELECT run_id FROM runs WHERE "
                                   "attention = 'additive'\"")
                                   .output.substr(7, 10);
  EXPECT_EQ(attnlab("ls runs --columns run_id,attention,seed --sort -seed --format csv").output,
            "run_id,attention,seed\n" + additive + ",additive,7\n" + dot + ",dot,3\n");
  Result r = attnlab("ls runs --where \"attention = 'dot'\" --format json");
  EXPECT_TRUE(contains(r.output, "\"attention\": \"dot\"")) << r.output;
  EXPECT_FALSE(contains(r.output, "additive")) << r.output;
  r = attnlab("ls runs");
  EXPECT_TRUE(contains(r.output,
                       "run_id      status    task     attention  decoder  hidden_size  "
                       "seed  train_max_length  beyond_train_exact"))
      << r.output;
  // CSV and JSON keep every digit.
  EXPECT_EQ(attnlab("query --format csv 'SELECT 1.0 / 3 AS x'").output, "x\n0.3333333333333333\n");
  r = attnlab("show " + dot + " --format csv");
  EXPECT_TRUE(contains(r.output,
                       "bucket,value,n,token_accuracy,sequence_accuracy,error_rate,bleu,"
                       "perplexity,aer,alignment_accuracy\nlength,"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "\nsplit,test,")) << r.output;
  r = attnlab("show " + dot + " --format json");
  EXPECT_TRUE(contains(r.output, "\"attention.name\": \"dot\"")) << r.output;
  EXPECT_TRUE(contains(r.output, "\"run_id\": \"" + dot + "\"")) << r.output;

  for (const auto& [args, message] : std::vector<std::pair<std::string, std::string>>{
           {"ls runs --columns run_id,nope", "--columns: 'nope' is not available; valid: run_id"},
           {"ls runs --sort -nope", "--sort: 'nope' is not available"},
           {"ls runs --where 'nope = 1'", "no such column: nope"},
           {"ls runs --where '1); DELETE FROM runs; --'", "--where"},
           {"ls runs --format yaml", "--format"},
           {"show " + dot + " --format yaml", "--format"}}) {
    r = attnlab(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, message)) << args << ": " << r.output;
  }
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS n FROM runs'").output, "n\n2\n");
}

// config prints every key and explains one; an experiment is found by name
// or by path, the same way on run, sweep and config.
TEST_F(Cli, ConfigExplainsAKeyAndExperimentsComeByNameOrPath) {
  Result r = attnlab("config");
  // Every key, defaults included, each with its meaning as a comment.
  const auto line_of = [&r](const std::string& start) {
    const size_t at = r.output.find("\n" + start);
    return at == std::string::npos ? ""
                                   : r.output.substr(at + 1, r.output.find('\n', at + 1) - at - 1);
  };
  EXPECT_TRUE(contains(line_of("  precision: fp32 "), "  # ")) << r.output;
  EXPECT_TRUE(contains(line_of("  deterministic: false "), "  # ")) << r.output;
  const std::string lr = line_of("  lr: 0.003 ");
  EXPECT_EQ(lr.substr(std::min(lr.find('#'), lr.size())),
            "# Adam's learning rate (the schedule's peak)")
      << r.output;
  r = attnlab("config --explain train.lr train.lr=0.01");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "train.lr\n  Adam's learning rate (the schedule's peak)\n  accepts: a number in "
            "[1e-12, 1e+30]\n  default: 0.001\n  value:   0.01  (override 'train.lr=0.01')\n");
  r = attnlab("config --explain train.stpes");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "train.stpes: unknown key (did you mean 'train.steps'?)"))
      << r.output;

  fs::create_directories(dir_ / "mine");
  fs::copy(kData / "experiments" / "short.yaml", dir_ / "mine" / "study.yaml");
  const std::string by_name = attnlab("config short").output;
  EXPECT_EQ(attnlab("config mine/study.yaml").output, by_name);
  r = attnlab("sweep mine/study.yaml --dry-run");
  EXPECT_EQ(r.output, attnlab("sweep short --dry-run").output);
  r = attnlab("run --experiment mine/study.yaml train.steps=5 attention=dot");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = attnlab("config other/nothing.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "other/nothing.yaml")) << r.output;
}

TEST_F(Cli, TheTransformerAndEveryDecoderRunFromTheCommandLine) {
  Result r = attnlab("run model=transformer train.steps=10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "multihead attention, transformer 1+1 layers (H=16)")) << r.output;
  r = attnlab(
      "run attention=multihead model.decoder=bahdanau model.cell=lstm model.bidirectional=true "
      "train.steps=10 +decode.beam_size=3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "multihead attention, bahdanau lstm (H=32)")) << r.output;
  r = attnlab(
      "query --format csv 'SELECT model, decoder, attention, parameters > 1000 AS counted, "
      "count(*) AS lengths FROM length_accuracy GROUP BY run_id ORDER BY model'");
  EXPECT_EQ(r.output,
            "model,decoder,attention,counted,lengths\nrnn,bahdanau,multihead,1,5\n"
            "transformer,transformer,multihead,1,5\n");
  r = attnlab("run model=transformer attention=additive");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.output, "valid: multihead (got 'additive')")) << r.output;
}

TEST_F(Cli, SweepDryRunPrintsOneLinePerJob) {
  const Result r = attnlab("sweep short model.hidden_size=4,12 --dry-run");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "#0 : attention=none model.hidden_size=4\n#1 : attention=none model.hidden_size=12\n"
            "#2 : attention=dot model.hidden_size=4\n#3 : attention=dot model.hidden_size=12\n");
  EXPECT_FALSE(fs::exists(dir_ / "results/t.db"));
  const Result functions = attnlab(
      "sweep 'attention=glob(*,exclude=[bogus,local_p,multihead,none])' "
      "'train.steps=sort(range(10,31,10),reverse=true)' --dry-run");
  EXPECT_EQ(functions.exit_code, 0) << functions.output;
  EXPECT_EQ(functions.output,
            "#0 : attention=additive train.steps=30\n#1 : attention=additive train.steps=20\n"
            "#2 : attention=additive train.steps=10\n#3 : attention=dot train.steps=30\n"
            "#4 : attention=dot train.steps=20\n#5 : attention=dot train.steps=10\n");
  // Hydra's spelling of an experiment and of its sweep work too.
  const Result hydra = attnlab("sweep +experiment=hydra_style --dry-run");
  EXPECT_EQ(hydra.exit_code, 0) << hydra.output;
  EXPECT_EQ(hydra.output, "#0 : model.hidden_size=8\n#1 : model.hidden_size=12\n");
  EXPECT_TRUE(contains(attnlab("config +experiment=hydra_style").output, "name: none"));
  // With a database, a dry run marks the jobs already finished.
  ASSERT_EQ(attnlab("run model.hidden_size=8 attention=none train.steps=5").exit_code, 0);
  const Result marked = attnlab(
      "sweep attention=none model.hidden_size=8,12 train.steps=5 "
      "--dry-run");
  EXPECT_TRUE(contains(marked.output,
                       "#0 : attention=none model.hidden_size=8 train.steps=5  (finished: run "))
      << marked.output;
  EXPECT_TRUE(contains(marked.output,
                       "#1 : attention=none model.hidden_size=12 train.steps=5\n"
                       "2 job(s), 1 already finished in results/t.db\n"))
      << marked.output;
  // A malformed claim stops the sweep before anything runs, naming file and line.
  const Result claims = attnlab("sweep bad_claims");
  EXPECT_EQ(claims.exit_code, 2);
  EXPECT_TRUE(contains(claims.output, "bad_claims.yaml:7:")) << claims.output;
  EXPECT_TRUE(contains(claims.output, "metrc")) << claims.output;
  // A bad value in any job stops the sweep before anything runs.
  const Result bad = attnlab("sweep model.hidden_size=8,zero");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.output, "model.hidden_size: expected an integer")) << bad.output;
}

TEST_F(Cli, SweepRunsJobsDrawsTheReportAndResumes) {
  // Every job finishes; the sweep still exits 1 because a claim fails.
  const Result r0 = attnlab("sweep short model.hidden_size=8 --jobs 2");
  ASSERT_EQ(r0.exit_code, 1) << r0.output;
  EXPECT_TRUE(contains(r0.output, "1 claim(s) of the experiment fail")) << r0.output;
  EXPECT_TRUE(contains(r0.output, "2 job(s), 2 to run")) << r0.output;
  Result r = r0;
  for (const char* figure :
       {"accuracy_by_length", "grid_lengths", "comparisons", "learning_curves"}) {
    for (const char* format : {".png", ".svg", ".pdf"}) {
      EXPECT_GT(fs::file_size(dir_ / "results/reports/short" / (std::string(figure) + format)),
                1000u)
          << figure << format;
    }
  }
  // The page, opened in a real browser: every figure loads.
  const std::string html = read_file(dir_ / "results/reports/short/index.html");
  size_t images = 0;
  for (size_t at = html.find("<img "); at != std::string::npos; at = html.find("<img ", at + 1))
    ++images;
  EXPECT_GE(images, 4u);
  if (const std::string why = attnlab::testing::chromium_missing(); why.empty()) {
    const auto seen =
        attnlab::testing::check_page_in_chromium(dir_ / "results/reports/short/index.html");
    EXPECT_TRUE(seen.loaded) << seen.detail;
    EXPECT_EQ(seen.title, "attnlab report: short");
    EXPECT_EQ(seen.images, static_cast<int>(images));
    EXPECT_EQ(seen.broken, 0) << seen.detail;
    // Heatmap cells are drawn crisp, not stretched into gradients.
    int heatmaps = 0;
    for (const auto& [src, rows] : seen.smooth_rows) {
      if (src.rfind("grid_", 0) != 0 && src.rfind("alignment_", 0) != 0) continue;
      ++heatmaps;
      EXPECT_EQ(rows, 0) << src;
    }
    EXPECT_GE(heatmaps, 2);
  } else {
    std::cout << "not opened in a browser: " << why << "\n";
  }
  // Each figure's script redraws it from its data, byte for byte.
  const std::string svg = read_file(dir_ / "results/reports/short/grid_lengths.svg");
  fs::remove(dir_ / "results/reports/short/grid_lengths.svg");
  EXPECT_TRUE(contains(read_file(dir_ / "results/reports/short/grid_lengths.dat"), "EOD"));
  EXPECT_EQ(shell("cd results/reports/short && gnuplot grid_lengths.gp").exit_code, 0);
  EXPECT_EQ(read_file(dir_ / "results/reports/short/grid_lengths.svg"), svg);
  r = attnlab("query --format csv 'SELECT attention, status FROM runs ORDER BY attention'");
  EXPECT_EQ(r.output, "attention,status\ndot,finished\nnone,finished\n");
  // The sweep measured its device's peak once, before the jobs; both runs
  // copied it, beside their FLOPs per step.
  r = attnlab(
      "query --format csv 'SELECT count(*) AS peaks, count(DISTINCT m.value) AS values_seen, "
      "min(m.value = p.gflops) AS copied FROM device_peaks p JOIN metrics m "
      "ON m.name = \"peak_gflops\"'");
  EXPECT_EQ(r.output, "peaks,values_seen,copied\n2,1,1\n");
  r = attnlab(
      "query --format csv 'SELECT count(*) AS runs FROM metrics WHERE "
      "name = \"flops_per_step\" AND value > 0'");
  EXPECT_EQ(r.output, "runs\n2\n");
  // The experiment's claims, checked on the results by their intervals: one
  // holds, one fails (five steps teach nothing), one has no runs.
  EXPECT_TRUE(contains(r0.output, "PASS          exact match never exceeds 100 %")) << r0.output;
  EXPECT_TRUE(contains(r0.output, "FAIL          five steps teach dot attention the task"))
      << r0.output;
  EXPECT_TRUE(contains(r0.output, "NO DATA       general is never run here")) << r0.output;
  EXPECT_TRUE(contains(r0.output, "1 of 3 claims pass (1 fails, 1 without data)")) << r0.output;
  const std::string markdown = read_file(dir_ / "results/reports/short/report.md");
  EXPECT_TRUE(contains(markdown, "## Claims")) << markdown;
  EXPECT_TRUE(contains(markdown, "| five steps teach dot attention the task | fail |")) << markdown;
  // The sweep keeps the experiment file it ran, so the report needs nothing else.
  r = attnlab(
      "query --format csv 'SELECT experiment_yaml LIKE \"%five steps%\" AS kept FROM sweeps'");
  EXPECT_EQ(r.output, "kept\n1\n");

  r = attnlab("sweep short model.hidden_size=8");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the claim still fails
  EXPECT_TRUE(contains(r.output, "2 job(s), 0 to run, 2 already finished")) << r.output;
  r = attnlab("query --format csv 'SELECT count(*) AS runs FROM runs'");
  EXPECT_EQ(r.output, "runs\n2\n");

  // Regenerated from the database alone: the same page and figures, byte for
  // byte. Drawing a report with a failed claim succeeds; --check gates on it.
  r = attnlab("report short --out again");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = attnlab("report short --out checked --check");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "1 claim(s) of sweep short-")) << r.output;
  EXPECT_TRUE(contains(r.output, "fail (--check)")) << r.output;
  EXPECT_EQ(read_file(dir_ / "again/index.html"),
            read_file(dir_ / "results/reports/short/index.html"));
  for (const char* figure : {"accuracy_by_length", "comparisons", "learning_curves"}) {
    for (const char* format : {".svg", ".pdf"}) {
      const std::string file = std::string(figure) + format;
      EXPECT_EQ(read_file(dir_ / "again" / file), read_file(dir_ / "results/reports/short" / file))
          << file;
    }
  }
  EXPECT_EQ(attnlab("report nothing").exit_code, 2);
  r = attnlab("ls sweeps");
  EXPECT_TRUE(contains(r.output, "completed")) << r.output;
}

TEST_F(Cli, AKilledRunIsRecordedAsInterruptedAndExitsOne) {
  // SIGTERM once training has started, then report the run's exit code
  // (grep -s: the shell may not have created run.log yet).
  const Result killed =
      shell("\"$ATTNLAB\" --db results/t.db --config-dir '" + (kData / "configs").string() +
            "' run train.steps=100000000 train.log_every=10 > run.log 2>&1 & "
            "pid=$!; until grep -qs step run.log; do sleep 0.1; done; "
            "kill -TERM $pid; wait $pid; echo exit=$?");
  const std::string text = read_file(dir_ / "run.log");
  EXPECT_EQ(killed.output, "exit=1\n") << text;
  EXPECT_TRUE(contains(text, "interrupted by signal 15")) << text;
  const Result q = attnlab("query --format csv 'SELECT status, error FROM runs'");
  EXPECT_TRUE(contains(q.output, "status,error\ninterrupted,interrupted by signal 15")) << q.output;
}

TEST_F(Cli, AKilledRunResumesFromItsCheckpointWithTheSameNumbers) {
  const std::string args =
      " run train.steps=400 train.log_every=50 +train.checkpoint_every=100 +model.dropout=0.2"
      " task.test_lengths=[1,4]";
  ASSERT_EQ(attnlab("--db results/reference.db" + args).exit_code, 0);
  // kill -9 once step 300 is logged: no chance to record anything.
  const Result killed = shell("\"$ATTNLAB\" --db results/t.db --config-dir '" +
                              (kData / "configs").string() + "'" + args +
                              " > run.log 2>&1 & pid=$!; "
                              "until grep -qs 'step    300' run.log; do sleep 0.05; done; "
                              "kill -KILL $pid; wait $pid; echo exit=$?");
  EXPECT_TRUE(contains(killed.output, "exit=137")) << killed.output;

  const Result resumed = attnlab(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(contains(resumed.output, "resumed from the checkpoint at step")) << resumed.output;
  const std::string evals =
      "query --format csv 'SELECT length, token_accuracy, sequence_accuracy FROM evals "
      "ORDER BY length'";
  const Result ours = attnlab(evals);
  EXPECT_EQ(ours.output, attnlab("--db results/reference.db " + evals).output);
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS runs, min(status) AS status FROM "
                    "runs'")
                .output,
            "runs,status\n1,finished\n");
  EXPECT_EQ(attnlab("query --format csv 'PRAGMA integrity_check'").output, "integrity_check\nok\n");
}

TEST_F(Cli, ADivergingRunIsMarkedDiverged) {
  // Adam's first step moves every weight by about train.lr whatever the
  // gradients: at 1e30 the logits reach ~1e30, and the loss of every target
  // that is not the largest logit is ~1e30 or overflows. Either way it is far
  // past 100 ln V, on any BLAS kernel.
  const Result r = attnlab("run train.lr=1e30");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.output, "diverged: training diverged: the mean loss of the steps up to"))
      << r.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT status FROM runs'").output, "status\ndiverged\n");
  // In a sweep the other jobs go on; the sweep exits 1.
  const Result sweep = attnlab("sweep train.lr=1e30,0.003");
  EXPECT_EQ(sweep.exit_code, 1) << sweep.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT status, count(*) AS n FROM runs GROUP BY status "
                    "ORDER BY status'")
                .output,
            "status,n\ndiverged,2\nfinished,1\n");
}

TEST_F(Cli, AKilledSweepResumesItsFrozenPlanExactly) {
  fs::copy(kData / "configs", dir_ / "configs", fs::copy_options::recursive);
  const std::string sweep =
      "\"$ATTNLAB\" -v --db results/t.db --config-dir configs sweep attention=none,dot "
      "train.steps=3000 train.log_every=100 +train.checkpoint_every=500";
  // kill -9 the driver while its first job trains; the job follows it.
  const Result killed = shell(sweep +
                              " > sweep.log 2>&1 & pid=$!; "
                              "until grep -qs 'step    600' sweep.log; do sleep 0.05; done; "
                              "kill -KILL $pid; wait $pid; echo exit=$?; "
                              // The orphaned job records itself as interrupted.
                              "until \"$ATTNLAB\" --db results/t.db query --format csv "
                              "\"SELECT count(*) FROM runs WHERE status = 'running'\" | "
                              "grep -qx 0; do sleep 0.1; done");
  EXPECT_TRUE(contains(killed.output, "exit=137")) << killed.output;
  const std::string sweep_id =
      attnlab("query --format csv 'SELECT sweep_id FROM sweeps'").output.substr(9);
  ASSERT_FALSE(sweep_id.empty());
  // Edits after planning do not leak into the sweep.
  std::ofstream(dir_ / "configs/task/reverse.yaml", std::ios::app) << "vocab_size: 12\n";

  // Two resumes at once: one drives the sweep, the other is refused.
  const std::string resume =
      "\"$ATTNLAB\" -v --db results/t.db --config-dir configs sweep --resume " +
      sweep_id.substr(0, sweep_id.size() - 1);
  const Result raced = shell(resume + " > a.log 2>&1 & a=$!; " + resume +
                             " > b.log 2>&1 & b=$!; wait $a; echo a=$?; wait $b; echo b=$?");
  const std::string driven = contains(raced.output, "a=0") ? "a.log" : "b.log";
  const std::string refused = driven == "a.log" ? "b.log" : "a.log";
  EXPECT_TRUE(raced.output == "a=0\nb=2\n" || raced.output == "a=2\nb=0\n") << raced.output;
  const std::string resumed = read_file(dir_ / driven);
  EXPECT_TRUE(contains(resumed, "2 job(s), 2 to run, 0 already finished")) << resumed;
  EXPECT_TRUE(contains(resumed, "resumed from the checkpoint at step")) << resumed;
  EXPECT_TRUE(contains(read_file(dir_ / refused), "is being run by another attnlab (pid "))
      << read_file(dir_ / refused);
  EXPECT_EQ(
      attnlab("query --format csv \"SELECT r.attention, r.status, p.value AS vocab FROM runs r "
              "JOIN params p ON p.run_id = r.run_id AND p.key = 'task.vocab_size' "
              "ORDER BY r.attention\"")
          .output,
      "attention,status,vocab\ndot,finished,10\nnone,finished,10\n");
  EXPECT_EQ(attnlab("query --format csv 'PRAGMA integrity_check'").output, "integrity_check\nok\n");
  const Result again = shell("\"$ATTNLAB\" --db results/t.db --config-dir configs sweep --resume " +
                             sweep_id.substr(0, sweep_id.size() - 1));
  EXPECT_TRUE(contains(again.output, "2 job(s), 0 to run, 2 already finished")) << again.output;
}

TEST_F(Cli, EightWritersAndTwoReadersAtOnceMeetNoLockErrors) {
  const Result r =
      shell("for seed in 1 2 3 4 5 6 7 8; do \"$ATTNLAB\" --db results/t.db --config-dir '" +
            (kData / "configs").string() +
            "' run seed=$seed train.steps=30 train.log_every=1 > run-$seed.log 2>&1 & done; "
            // Two readers meanwhile.
            "for reader in 1 2; do (while [ ! -s results/t.db ]; do sleep 0.05; done; "
            "for i in $(seq 25); do \"$ATTNLAB\" --db results/t.db ls runs || echo FAILED; "
            "done) > read-$reader.log 2>&1 & done; "
            "wait; grep -l 'finished in' run-*.log | wc -l; "
            "cat run-*.log read-*.log | grep -ci 'locked\\|FAILED' || true");
  std::string logs;  // on a failure, what the writers and readers said
  if (r.output != "8\n0\n") {
    for (const auto& entry : fs::directory_iterator(dir_))
      if (entry.path().extension() == ".log")
        logs += "== " + entry.path().filename().string() + "\n" + read_file(entry.path());
  }
  EXPECT_EQ(r.output, "8\n0\n") << logs;
  EXPECT_EQ(attnlab("query --format csv \"SELECT count(*) AS runs, count(DISTINCT seed) AS seeds, "
                    "sum(status = 'finished') AS finished FROM runs\"")
                .output,
            "runs,seeds,finished\n8,8,8\n");
  EXPECT_EQ(attnlab("query --format csv \"SELECT count(*) AS points FROM metrics WHERE name = "
                    "'train_loss'\"")
                .output,
            "points\n240\n");
}

TEST_F(Cli, ReproduceComparesEveryNumber) {
  ASSERT_EQ(attnlab("run train.steps=40 +model.dropout=0.1").exit_code, 0);
  const std::string id =
      attnlab("query --format csv 'SELECT run_id FROM runs'").output.substr(7, 10);
  const Result r = attnlab("reproduce " + id);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "identical: all 44 numbers (14 training metrics, 5 lengths and 1 "
                       "split(s) x 5 scores) match to the last digit"))
      << r.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) FROM runs'").output, "count(*)\n1\n");
  EXPECT_EQ(attnlab("reproduce nosuchrun").exit_code, 2);
}

TEST_F(Cli, ReproduceOnAnotherBlasKernelSaysWhatDiffersAndJudgesBySeedSpread) {
  ASSERT_EQ(attnlab("sweep seed=1,2,3 train.steps=40").exit_code, 0);
  const std::string blas = attnlab("query --format csv 'SELECT DISTINCT blas FROM runs'").output;
  if (!contains(blas, "(")) GTEST_SKIP() << "no OpenBLAS kernel name to vary: " << blas;
  // Another kernel than the one the runs used; both exist on any x86-64 with AVX.
  const std::string other = contains(blas, "(Sandybridge)") ? "Nehalem" : "Sandybridge";
  const std::string id =
      attnlab("query --format csv 'SELECT run_id FROM runs WHERE seed = 1'").output.substr(7, 10);
  const Result r = shell("OPENBLAS_CORETYPE=" + other + " \"$ATTNLAB\" --db results/t.db " +
                         "--config-dir '" + (kData / "configs").string() + "' reproduce " + id);
  EXPECT_TRUE(contains(r.output, "bit-identity is not promised here, because these differ:"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "BLAS (library and kernel): ")) << r.output;
  EXPECT_TRUE(contains(r.output, "(" + other + ") now")) << r.output;
  // Forty steps apart in rounding move no score past what another seed gives.
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "identical: all") ||
              contains(r.output, "every score within its seed spread"))
      << r.output;
}

TEST_F(Cli, EditingADataFileInPlaceRetrainsItsRuns) {
  fs::copy(kData / "corpora/pairs.tsv", dir_ / "pairs.tsv");
  const std::string sweep = "\"$ATTNLAB\" --db results/t.db --config-dir '" +
                            (kRepo / "configs").string() +
                            "' sweep task=tsv task.path=pairs.tsv task.tokenize=whitespace "
                            "task.test_lengths=[2,3] train.steps=3 train.batch_size=4 "
                            "task.eval_examples=2 seed=1,2";
  Result r = shell(sweep);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2 job(s), 2 to run")) << r.output;
  r = shell(sweep);
  EXPECT_TRUE(contains(r.output, "2 job(s), 0 to run, 2 already finished")) << r.output;
  // The same path and settings over other content: a new identity, so both run again.
  std::ofstream(dir_ / "pairs.tsv", std::ios::app) << "a new line\tune ligne nouvelle\n";
  r = shell(sweep);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2 job(s), 2 to run, 0 already finished")) << r.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(DISTINCT data_identity) AS identities, "
                    "count(DISTINCT config_hash) AS hashes, min(data_identity LIKE \"sha256:%\") "
                    "AS digests FROM runs'")
                .output,
            "identities,hashes,digests\n2,4,1\n");
}

TEST_F(Cli, AnUnusableDatabasePathIsAClearError) {
  std::ofstream(dir_ / "a-file") << "not a folder\n";
  const Result r = attnlab("--db a-file/t.db run train.steps=5");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "a-file/t.db")) << r.output;
}

TEST_F(Cli, AWorkerKilledInASweepIsInterruptedAndResumes) {
  const std::string sweep = "\"$ATTNLAB\" -v --db results/t.db --config-dir '" +
                            (kData / "configs").string() +
                            "' sweep attention=dot train.steps=3000 train.log_every=100 "
                            "+train.checkpoint_every=500";
  const Result killed = shell(sweep +
                              " > sweep.log 2>&1 & driver=$!; "
                              "until grep -qs 'step    600' sweep.log; do sleep 0.05; done; "
                              "worker=$(\"$ATTNLAB\" --db results/t.db query --format csv "
                              "\"SELECT pid FROM runs WHERE status = 'running'\" | tail -1); "
                              "kill -KILL $worker; wait $driver; echo exit=$?; cat sweep.log");
  EXPECT_TRUE(contains(killed.output, "exit=1")) << killed.output;
  EXPECT_TRUE(contains(killed.output, "+train.checkpoint_every=500 (killed by signal 9)"))
      << killed.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT status, error, checkpoint_step > 0 AS saved, "
                    "checkpoint_step % 500 AS rest FROM runs'")
                .output,
            "status,error,saved,rest\ninterrupted,killed by signal 9,1,0\n");
  const std::string id = attnlab("query --format csv 'SELECT sweep_id FROM sweeps'").output;
  EXPECT_TRUE(contains(attnlab("ls runs --sweep " + id.substr(9, 12)).output, "interrupted"));

  const Result resumed = attnlab("-v sweep --resume " + id.substr(9, id.size() - 10));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_TRUE(contains(resumed.output, "resumed from the checkpoint at step")) << resumed.output;
  EXPECT_EQ(attnlab("query --format csv 'SELECT count(*) AS runs, min(status) AS status FROM "
                    "runs'")
                .output,
            "runs,status\n1,finished\n");
}

}  // namespace
