// A sweep's whole life in the store and its folder (results/sweeps/ID, with
// a log per job): begin() records a new sweep with its frozen plan, open()
// finds a recorded one to resume; run() records the launcher, lets it bring
// in what earlier launches left, skips every job whose config already has a
// finished run, launches the rest and ends the sweep completed or failed.
// The CLI composes the plan (checking each job needs the tasks), parses
// flags, prints what it hears (SweepEvents) and draws the report.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "launch/launcher.h"
#include "store/run_store.h"

namespace attnlab::launch {

// Where a sweep lives and what its children are run with.
struct SweepSite {
  std::filesystem::path db;
  std::filesystem::path config_dir;
  std::filesystem::path results_dir;  // beside db: runs/ and sweeps/
  std::string code_version;           // recorded with a new sweep and in its job file
};

struct NewSweep {
  std::string name;                // the experiment, or "sweep"
  std::vector<std::string> words;  // the command line: [EXPERIMENT] OVERRIDE...
  std::vector<store::PlannedJob> plan;
  std::string experiment_yaml;  // "" for none
};

struct SweepOutcome {
  bool waited = true;        // false: jobs left queued or running (Slurm --no-wait)
  bool interrupted = false;  // a signal stopped it
  int total = 0;             // jobs in the plan
  int finished = 0;          // jobs whose config has a finished run
  double seconds = 0;        // from launch to the end
};

class Sweep {
 public:
  // Records a new sweep and its frozen plan.
  static Sweep begin(store::RunStore& store, const SweepSite& site, const NewSweep& sweep);
  // A recorded sweep by id or unique prefix, to resume. Throws
  // std::invalid_argument when there is none, or when it was planned by an
  // attnlab that did not freeze configs.
  static Sweep open(store::RunStore& store, const SweepSite& site, const std::string& id);

  const std::string& id() const { return context_.sweep_id; }
  const std::string& name() const { return context_.name; }
  const std::vector<store::PlannedJob>& plan() const { return plan_; }
  // For a resumed sweep: what it was launched with last.
  const std::optional<store::SweepRecord>& recorded() const { return recorded_; }

  // Runs the unfinished jobs (every job with `rerun_finished`) through
  // `launcher`, named `launcher_name` in the store. One process at a time
  // drives a sweep (store::DriverLease). Throws LaunchRefused (another
  // process drives it; or the launcher refused the jobs, and the sweep is
  // ended failed; nothing ran) or LaunchLost.
  SweepOutcome run(Launcher& launcher, const std::string& launcher_name, bool rerun_finished,
                   SweepEvents& events);

 private:
  Sweep(store::RunStore& store, const SweepSite& site, std::string id, std::string name,
        std::vector<std::string> words, std::string experiment_yaml,
        std::vector<store::PlannedJob> plan);

  // The jobs to launch, after saying which are skipped and how the rest run.
  std::vector<const store::PlannedJob*> unfinished(const Launcher& launcher, bool rerun_finished,
                                                   SweepEvents& events);

  std::vector<store::PlannedJob> plan_;
  SweepContext context_;
  std::optional<store::SweepRecord> recorded_;
};

}  // namespace attnlab::launch
