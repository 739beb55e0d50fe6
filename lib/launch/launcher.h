// Where a sweep's jobs run: one Launcher interface, implemented by the local
// process pool (local_launcher.cpp) and by Slurm job arrays
// (slurm_launcher.cpp), both in one table (launchers()). A launcher starts
// each job as the child command of launch/child.h, tells the caller what
// happens through SweepEvents, and leaves every run's record in the store.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/registry.h"
#include "config/settings.h"
#include "launch/slurm.h"
#include "store/run_store.h"

namespace attnlab::launch {

// Nothing ran: the launcher refused the jobs (sbatch rejected the array),
// or another process drives the sweep. A usage error.
class LaunchRefused : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The launcher lost its jobs from sight (Slurm unreachable, the wait
// stopped); they may go on, and a resume collects them.
class LaunchLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the caller hears while a sweep runs; the CLI prints it.
class SweepEvents {
 public:
  virtual ~SweepEvents() = default;
  // A line of its own: what is skipped, submitted, collected.
  virtual void note(const std::string& line) = 0;
  virtual void warn(const std::string& line) = 0;
  // Jobs are about to run: `total` in the plan, `launched` of them now.
  virtual void jobs_begin(int total, int launched) = 0;
  // `index` is the job's 1-based place in the plan.
  virtual void job_started(int index, const std::string& what) = 0;
  virtual void job_output(int index, const std::string& line) = 0;
  virtual void job_ended(int index, bool ok, const std::string& failure) = 0;
  virtual void jobs_pending(int pending) = 0;  // jobs a cluster has not started yet
  virtual void jobs_end() = 0;
  // Polled often: a signal arrived, stop starting jobs and stop the running ones.
  virtual bool stop_requested() = 0;
};

// The sweep a launcher runs: its record, frozen plan and folders.
struct SweepContext {
  store::RunStore* store = nullptr;
  std::string sweep_id;
  std::string name;
  std::vector<std::string> words;  // the command line it was planned with
  std::string git_commit;
  std::string experiment_yaml;
  const std::vector<store::PlannedJob>* plan = nullptr;
  std::filesystem::path db;           // the main database
  std::filesystem::path config_dir;   // what the child composes against
  std::filesystem::path results_dir;  // runs/ and sweeps/ live here
  std::filesystem::path dir;          // results_dir/sweeps/ID, absolute

  std::filesystem::path log_of(const store::PlannedJob& job) const {
    return dir / ("job-" + std::to_string(job.index) + ".log");
  }
};

struct LaunchResult {
  bool waited = true;         // false: jobs still queued or running (Slurm --no-wait)
  bool all_finished = false;  // every job launched ended with its run finished
};

class Launcher {
 public:
  virtual ~Launcher() = default;

  // The options the sweep stores, so that a resume reuses them ("" for none).
  virtual std::string options_yaml() const { return ""; }
  // How jobs run, for the sweep's first line: "2 at a time".
  virtual std::string describe() const = 0;
  // Called once before the sweep counts what is left to run. The Slurm
  // launcher brings in what earlier arrays of the sweep left (the shards of
  // ended runs); the local one warns when the jobs would oversubscribe the
  // cores.
  virtual void prepare(const SweepContext& sweep, SweepEvents& events) = 0;
  // Runs the unfinished jobs and, unless told not to wait, returns when all
  // ended. Throws LaunchRefused or LaunchLost.
  virtual LaunchResult launch(const SweepContext& sweep,
                              const std::vector<const store::PlannedJob*>& jobs,
                              SweepEvents& events) = 0;
};

// What a launcher is made from: the command line's choices.
struct LauncherSettings {
  int parallel = 1;  // --jobs
  bool parallel_given = false;
  bool wait = true;  // false: --no-wait
  // launcher.KEY=VALUE words, for the launchers that have options.
  std::vector<std::pair<std::string, std::string>> options;
  std::filesystem::path options_file;  // configs/launcher/NAME.yaml
  std::string stored_yaml;             // the options a resumed sweep ran with
  // The local launcher calls this with the jobs about to run, before any
  // starts: it may reorder them (longest first) and measure what they need
  // (each device's peak) while the machine is still idle.
  std::function<void(std::vector<const store::PlannedJob*>*)> prepare_local;
};

using LauncherFactory = std::function<std::unique_ptr<Launcher>(const LauncherSettings&)>;

// "attention=dot seed=2", or "(no overrides)".
std::string describe_overrides(const store::PlannedJob& job);

// The settings of the job's frozen config (checked when it was planned).
config::RunSettings settings_of(const store::PlannedJob& job);

// "local" and "slurm". Factories throw std::invalid_argument for options a
// launcher does not have or values it cannot take.
const base::Registry<LauncherFactory>& launchers();

std::unique_ptr<Launcher> make_local_launcher(const LauncherSettings& settings);
std::unique_ptr<Launcher> make_slurm_launcher(const LauncherSettings& settings);

}  // namespace attnlab::launch
