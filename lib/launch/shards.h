// Shard databases: a Slurm array task records its run in a database of its
// own (shards/job-i/attnlab.db in the sweep folder, beside the run's folder),
// which the sweep's driver, or `attnlab merge`, merges into the main one.
#pragma once

#include <filesystem>
#include <optional>

#include "store/merge.h"
#include "store/run_store.h"

namespace attnlab::launch {

// Merges `shard` into `store` (store::merge_shard, `ended` as there) and
// copies the folders of the runs it added or updated (composed config,
// overrides) to results_dir/runs; a checkpoint stays with the shard for a
// resumed task.
store::ShardMerge merge_shard_with_folders(store::RunStore& store,
                                           const std::filesystem::path& shard,
                                           const std::filesystem::path& results_dir,
                                           const std::optional<store::EndedRun>& ended);

}  // namespace attnlab::launch
