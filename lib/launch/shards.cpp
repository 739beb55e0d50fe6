#include "launch/shards.h"

namespace attnlab::launch {

store::ShardMerge merge_shard_with_folders(store::RunStore& store,
                                           const std::filesystem::path& shard,
                                           const std::filesystem::path& results_dir,
                                           const std::optional<store::EndedRun>& ended) {
  store::ShardMerge merged = store::merge_shard(store, shard, ended);
  std::error_code error;
  for (const auto& run : merged.runs) {
    if (run.action != store::MergeAction::kAdded && run.action != store::MergeAction::kUpdated) {
      continue;
    }
    const auto from = shard.parent_path() / "runs" / run.shard_run_id;
    const auto to = results_dir / "runs" / run.run_id;
    std::filesystem::create_directories(to, error);
    for (const char* name : {"config.yaml", "overrides.yaml"}) {
      std::filesystem::copy_file(from / name, to / name,
                                 std::filesystem::copy_options::overwrite_existing, error);
    }
  }
  return merged;
}

}  // namespace attnlab::launch
