// The Slurm launcher's parts that need no cluster: options and their errors,
// array specs, the batch script, reading squeue and the state table. The
// launcher against a real Slurm is tests/e2e/slurm_test.cpp.
#include "launch/slurm.h"

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>

namespace attnlab::launch {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(SlurmOptions, ParseEveryKeyAndRoundTripThroughYaml) {
  const SlurmOptions o = parse_slurm_options(
      "partition: cpu\ntime: \"02:30:00\"\ncpus_per_task: 4\nmem_per_task: 8G\ngpus: 1\n"
      "array_parallelism: 3\nsbatch_flags: [\"--qos=short\", \"--account=nlp\"]\n"
      "poll_seconds: 0.5\njob_name: study\n",
      "slurm.yaml");
  EXPECT_EQ(o.partition, "cpu");
  EXPECT_EQ(o.time, "02:30:00");
  EXPECT_EQ(o.cpus_per_task, 4);
  EXPECT_EQ(o.mem_per_task, "8G");
  EXPECT_EQ(o.gpus, 1);
  EXPECT_EQ(o.array_parallelism, 3);
  EXPECT_EQ(o.sbatch_flags, (std::vector<std::string>{"--qos=short", "--account=nlp"}));
  EXPECT_DOUBLE_EQ(o.poll_seconds, 0.5);
  EXPECT_EQ(o.job_name, "study");

  const SlurmOptions again = parse_slurm_options(slurm_options_yaml(o), "stored");
  EXPECT_EQ(slurm_options_yaml(again), slurm_options_yaml(o));
  EXPECT_EQ(again.sbatch_flags, o.sbatch_flags);
  EXPECT_EQ(again.time, "02:30:00");
}

TEST(SlurmOptions, TheShippedFileHoldsTheDefaults) {
  const SlurmOptions defaults;
  const SlurmOptions empty = parse_slurm_options("", "empty");
  EXPECT_EQ(slurm_options_yaml(empty), slurm_options_yaml(defaults));
  EXPECT_EQ(empty.time, "01:00:00");
  EXPECT_EQ(empty.cpus_per_task, 0);
}

TEST(SlurmOptions, BadValuesNameTheFileLineKeyAndWhatIsValid) {
  std::string e = error_of([] { parse_slurm_options("time: 1:00\nbogus: 3\n", "slurm.yaml"); });
  EXPECT_TRUE(contains(e, "slurm.yaml:2: bogus")) << e;
  EXPECT_TRUE(contains(e, "valid: partition, time")) << e;
  e = error_of([] { parse_slurm_options("gpus: -1\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "f.yaml:1: gpus: expected a whole number >= 0")) << e;
  e = error_of([] { parse_slurm_options("time: soon\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "'soon' is not a Slurm time")) << e;
  e = error_of([] { parse_slurm_options("mem_per_task: lots\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "valid: a number with K, M, G or T")) << e;
  e = error_of([] { parse_slurm_options("sbatch_flags: --qos=short\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "expected a list of flags")) << e;
  e = error_of([] { parse_slurm_options("[1, 2]\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "f.yaml: expected a map")) << e;
  e = error_of([] { parse_slurm_options("time: [\n", "f.yaml"); });
  EXPECT_TRUE(contains(e, "f.yaml:")) << e;
}

TEST(SlurmOptions, CommandLineOverrides) {
  SlurmOptions o;
  apply_slurm_override(&o, "time", "04:00:00");
  apply_slurm_override(&o, "array_parallelism", "2");
  apply_slurm_override(&o, "sbatch_flags", "[--exclusive]");
  EXPECT_EQ(o.time, "04:00:00");
  EXPECT_EQ(o.array_parallelism, 2);
  EXPECT_EQ(o.sbatch_flags, std::vector<std::string>{"--exclusive"});
  const std::string e = error_of([&] { apply_slurm_override(&o, "cpus", "2"); });
  EXPECT_TRUE(contains(e, "launcher.cpus=2: unknown launcher option 'cpus'")) << e;
  EXPECT_TRUE(
      contains(error_of([&] { apply_slurm_override(&o, "poll_seconds", "0"); }), "at least 0.1"));
}

TEST(ArraySpec, RangesAndParallelism) {
  EXPECT_EQ(array_spec({1, 2, 3}, 0), "1-3");
  EXPECT_EQ(array_spec({5, 1, 3, 2, 7, 8, 9}, 0), "1-3,5,7-9");
  EXPECT_EQ(array_spec({4}, 2), "4%2");
  EXPECT_EQ(array_spec({2, 2, 3}, 1), "2-3%1");
}

ArrayRequest request() {
  ArrayRequest r;
  r.sweep_dir = "/data/results/sweeps/s1";
  r.job_file = "/data/results/sweeps/s1/plan.json";
  r.executable = "/opt/attnlab/attnlab";
  r.workdir = "/data";
  r.task_ids = {1, 2, 4};
  r.job_name = "attnlab-study";
  r.cpus_per_task = 2;
  r.options.time = "00:30:00";
  r.options.partition = "cpu";
  r.options.mem_per_task = "4G";
  r.options.gpus = 1;
  r.options.array_parallelism = 2;
  r.options.sbatch_flags = {"--qos=short"};
  return r;
}

TEST(BatchScript, ArgumentsCarryEveryOption) {
  const auto args = sbatch_arguments(request());
  const std::vector<std::string> expected = {
      "--parsable",         "--job-name=attnlab-study",
      "--array=1-2,4%2",    "--output=/data/results/sweeps/s1/job-%a.log",
      "--open-mode=append", "--chdir=/data",
      "--time=00:30:00",    "--ntasks=1",
      "--cpus-per-task=2",  "--partition=cpu",
      "--mem=4G",           "--gres=gpu:1",
      "--qos=short"};
  EXPECT_EQ(args, expected);
}

TEST(BatchScript, EachTaskRunsItsJobIntoItsOwnShard) {
  const std::string script = batch_script(request());
  EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
  EXPECT_TRUE(contains(script, "job=$((SLURM_ARRAY_TASK_ID - 1))\n")) << script;
  EXPECT_TRUE(contains(script,
                       "exec '/opt/attnlab/attnlab' --db "
                       "'/data/results/sweeps/s1/shards'\"/job-$SLURM_ARRAY_TASK_ID/attnlab.db\" "
                       "run --job-file '/data/results/sweeps/s1/plan.json' --job \"$job\"\n"))
      << script;
  EXPECT_EQ(shard_path("/s", 3), std::filesystem::path("/s/shards/job-3/attnlab.db"));
}

TEST(Squeue, ParsesTasksStatesAndReasons) {
  const auto tasks =
      parse_squeue("12_1|RUNNING|None\n12_2|PENDING|Resources\n12_3|CANCELLED by 0|None\nnoise\n");
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks.at("12_1").state, "RUNNING");
  EXPECT_EQ(tasks.at("12_2").reason, "Resources");
  EXPECT_EQ(tasks.at("12_3").state, "CANCELLED");
  const auto sacct = parse_sacct("7_4|OUT_OF_MEMORY\n");
  EXPECT_EQ(sacct.at("7_4").state, "OUT_OF_MEMORY");
}

TEST(SlurmStates, MapOntoRunStates) {
  struct Case {
    const char* slurm;
    TaskPhase phase;
    TaskEnd end;
  };
  for (const Case& c : {Case{"PENDING", TaskPhase::kPending, TaskEnd::kNotEnded},
                        Case{"RUNNING", TaskPhase::kRunning, TaskEnd::kNotEnded},
                        Case{"COMPLETING", TaskPhase::kRunning, TaskEnd::kNotEnded},
                        Case{"COMPLETED", TaskPhase::kEnded, TaskEnd::kCompleted},
                        Case{"FAILED", TaskPhase::kEnded, TaskEnd::kFailed},
                        Case{"CANCELLED", TaskPhase::kEnded, TaskEnd::kInterrupted},
                        Case{"CANCELLED by 0", TaskPhase::kEnded, TaskEnd::kInterrupted},
                        Case{"TIMEOUT", TaskPhase::kEnded, TaskEnd::kInterrupted},
                        Case{"OUT_OF_MEMORY", TaskPhase::kEnded, TaskEnd::kFailed},
                        Case{"NODE_FAIL", TaskPhase::kEnded, TaskEnd::kInterrupted},
                        Case{"VANISHED", TaskPhase::kEnded, TaskEnd::kInterrupted},
                        Case{"SOMETHING_NEW", TaskPhase::kEnded, TaskEnd::kFailed}}) {
    const StateMeaning m = interpret_state(c.slurm);
    EXPECT_EQ(m.phase, c.phase) << c.slurm;
    EXPECT_EQ(m.end, c.end) << c.slurm;
    EXPECT_FALSE(m.why.empty()) << c.slurm;
  }
  EXPECT_TRUE(contains(interpret_state("OUT_OF_MEMORY").why, "mem_per_task"));
  EXPECT_TRUE(contains(interpret_state("TIMEOUT").why, "launcher.time"));
}

TEST(RunCommand, CollectsOutputAndExitCodes) {
  const CommandResult ok = run_command({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(ok.exit_code, 3);
  EXPECT_EQ(ok.out, "out\n");
  EXPECT_EQ(ok.err, "err\n");
  EXPECT_EQ(run_command({"attnlab-no-such-program"}).exit_code, 127);
}

}  // namespace
}  // namespace attnlab::launch
