// The launchers' table and the child command line both launchers write.
// Sweeps through each launcher run for real in tests/e2e (cli_test.cpp and,
// against a real Slurm, slurm_test.cpp).
#include "launch/launcher.h"

#include <gtest/gtest.h>

#include "launch/child.h"

namespace attnlab::launch {
namespace {

std::string error_of(const LauncherSettings& settings, const std::string& name) {
  try {
    launchers().at(name)(settings);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Launchers, LocalAndSlurmAreOneTableThatNamesWhatIsValid) {
  EXPECT_EQ(launchers().names(), (std::vector<std::string>{"local", "slurm"}));
  EXPECT_EQ(error_of({}, "ssh"), "unknown launcher 'ssh'; valid: local, slurm");
  LauncherSettings local;
  local.parallel = 3;
  EXPECT_EQ(launchers().at("local")(local)->describe(), "3 at a time");
  EXPECT_EQ(launchers().at("local")(local)->options_yaml(), "");
}

TEST(Launchers, TheLocalLauncherRefusesSlurmOptionsAndNoWait) {
  LauncherSettings settings;
  settings.options = {{"time", "00:10:00"}};
  EXPECT_EQ(error_of(settings, "local"),
            "launcher.time is an option of the Slurm launcher; add --launcher slurm");
  settings.options.clear();
  settings.wait = false;
  EXPECT_EQ(error_of(settings, "local"),
            "--no-wait needs --launcher slurm (local jobs end with the sweep)");
}

TEST(Launchers, SlurmOptionsComeFromTheStoredYamlThenTheWordsThenJobs) {
  LauncherSettings settings;
  settings.stored_yaml = "time: \"02:00:00\"\narray_parallelism: 2\n";
  settings.options = {{"partition", "gpu"}};
  settings.parallel = 5;
  settings.parallel_given = true;
  const auto slurm = launchers().at("slurm")(settings);
  EXPECT_EQ(slurm->describe(), "through Slurm, 5 at a time");
  const SlurmOptions stored = parse_slurm_options(slurm->options_yaml(), "stored");
  EXPECT_EQ(stored.time, "02:00:00");
  EXPECT_EQ(stored.partition, "gpu");
  EXPECT_EQ(stored.array_parallelism, 5);
  settings.options = {{"bogus", "1"}};
  EXPECT_NE(error_of(settings, "slurm").find("bogus"), std::string::npos);
}

TEST(ChildCommand, TheLocalChildReadsItsJobFromTheDatabase) {
  ChildCommand command;
  command.executable = "/proc/self/exe";
  command.db = {"results/attnlab.db", ""};
  command.config_dir = "configs";
  command.sweep_id = "demo-1";
  command.job = {"3", ""};
  EXPECT_EQ(child_argv(command), (std::vector<std::string>{
                                     "/proc/self/exe", "--db", "results/attnlab.db", "--config-dir",
                                     "configs", "run", "--sweep-id", "demo-1", "--job", "3"}));
}

TEST(ChildCommand, AShellLineQuotesLiteralsAndLeavesExpansionsToTheShell) {
  ChildCommand command;
  command.executable = "/opt/it's/attnlab";
  command.db = {"/s/shards", "/job-$SLURM_ARRAY_TASK_ID/attnlab.db"};
  command.job_file = "/s/plan.json";
  command.job = {"", "$job"};
  EXPECT_EQ(child_shell_line(command),
            "'/opt/it'\\''s/attnlab' --db '/s/shards'\"/job-$SLURM_ARRAY_TASK_ID/attnlab.db\" "
            "run --job-file '/s/plan.json' --job \"$job\"");
  EXPECT_EQ(child_argv(command)[2], "/s/shards/job-$SLURM_ARRAY_TASK_ID/attnlab.db");
}

}  // namespace
}  // namespace attnlab::launch
