// Merging shard databases into the main one. A Slurm array task writes its
// runs into its own small database (SQLite must not be written by many nodes
// over NFS); the driver, or `attnlab merge`, copies them into the main
// database. Runs are matched by their uid, so merging the same shard twice
// changes nothing, and a run that goes on in a later task (resumed from its
// checkpoint) replaces its earlier copy.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/run_store.h"

namespace attnlab::store {

// How a run that is still 'running' in its shard ended, when the caller
// knows (Slurm reported its task ended): such a run is merged with this
// status and error. Without it, running runs are left in the shard.
struct EndedRun {
  RunStatus status = RunStatus::kFailed;  // failed or interrupted
  std::string error;
};

// What merging did with one run of a shard.
enum class MergeAction {
  kAdded,      // copied in
  kUpdated,    // replaced an earlier copy of itself
  kUnchanged,  // already here as it is
  kRunning,    // left in the shard: it has not ended
};
// "added", "updated", "unchanged", "running".
const char* action_name(MergeAction action);

struct MergedRun {
  std::string shard_run_id;
  std::string run_id;                      // its id in the main database ("" when skipped)
  RunStatus status = RunStatus::kRunning;  // as merged
  MergeAction action = MergeAction::kAdded;
};

struct ShardMerge {
  std::filesystem::path shard;
  // Empty when the shard was read; else why it was not (missing, not a
  // database, damaged, newer schema): the job is left for a rerun.
  std::string problem;
  std::vector<MergedRun> runs;
};

// Copies every ended run of `shard` (with its sweep and plan, when `into`
// lacks them) into `into`, in one transaction. A run id already taken in
// `into` by another run gets the next free one. Never throws for a bad
// shard: it says so in `problem`. Throws StoreError when `into` fails.
ShardMerge merge_shard(RunStore& into, const std::filesystem::path& shard,
                       const std::optional<EndedRun>& ended = std::nullopt);

}  // namespace attnlab::store
