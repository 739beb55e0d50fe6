// What `attnlab sweep`'s two launchers share: the planned jobs, and the
// Slurm driver that sweep_command.cpp hands a plan to.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "launch/slurm.h"
#include "runner/common.h"
#include "runner/sweep_progress.h"
#include "store/merge.h"
#include "store/run_store.h"

namespace attnlab::runner {

struct PlannedJob {
  int index = 0;  // 1-based, for messages
  std::vector<std::string> overrides;
  std::string hash;
  std::string config_yaml;
  int threads = 1;          // the job's `threads` setting (0 = one per core)
  std::string done_run_id;  // set when a finished run already has this hash
};

// "attention=dot seed=2", or "(no overrides)".
std::string describe(const std::vector<std::string>& overrides);

struct SlurmSweep {
  std::string sweep_id;
  std::string name;
  std::vector<std::string> words;  // the sweep's command line, for the job file
  std::string git_commit;
  std::string experiment_yaml;
  std::vector<PlannedJob> plan;  // done_run_id set for jobs already finished
  launch::SlurmOptions options;
  bool wait = true;
  std::function<bool()> stop_requested;  // polled while waiting (a signal arrived)
};

struct SlurmResult {
  bool waited = false;        // false after --no-wait with tasks still queued or running
  bool all_finished = false;  // every job this sweep ran finished (when it waited)
};

// Merges a shard database into `store` (see store::merge_shard) and copies
// the merged runs' folders (composed config, overrides) beside it.
store::ShardMerge merge_shard_and_folders(const GlobalOptions& globals, store::RunStore& store,
                                          const std::filesystem::path& shard,
                                          const std::optional<store::EndedRun>& ended);

// Merges the shards of the plan's unfinished jobs, as far as their runs
// recorded their own end: what a resumed Slurm sweep collects before it
// counts what is left to run.
void merge_ended_shards(const GlobalOptions& globals, store::RunStore& store,
                        const std::string& sweep_id, const std::vector<PlannedJob>& plan);

// Runs the plan's unfinished jobs as one Slurm array, after collecting what
// earlier arrays of the sweep left (shards to merge; tasks still queued or
// running, which it watches instead of submitting again). Merges each
// task's shard into `store` as the task ends and records every task's Slurm
// state. Throws RunFailed when Slurm cannot be reached or the wait is
// stopped (the tasks go on), UsageError when sbatch refuses the array.
SlurmResult run_on_slurm(const GlobalOptions& globals, store::RunStore& store,
                         const SlurmSweep& sweep);

}  // namespace attnlab::runner
