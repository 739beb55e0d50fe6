// `attnlab merge SHARD...`: copies the runs of shard databases (what Slurm
// array tasks write) into the main database. Runs match by their uid, so a
// second merge of the same shard changes nothing; runs still running, and
// shards that cannot be read, are left where they are.
#include <algorithm>
#include <iostream>
#include <memory>

#include "launch/shards.h"
#include "runner/common.h"
#include "store/merge.h"

namespace attnlab::runner {
namespace {

struct MergeOptions {
  std::vector<std::string> shards;
};

// The shard databases a word names: a database file, or every attnlab.db
// under a folder (a sweep folder holds shards/job-N/attnlab.db).
std::vector<std::filesystem::path> shard_files(const std::string& word,
                                               const std::filesystem::path& main_db) {
  std::error_code error;
  const std::filesystem::path path(word);
  if (!std::filesystem::exists(path, error)) {
    throw UsageError("merge: no such file or folder: " + word);
  }
  std::vector<std::filesystem::path> found;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
      if (entry.is_regular_file() && entry.path().filename() == "attnlab.db") {
        found.push_back(entry.path());
      }
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) throw UsageError("merge: no shard database (attnlab.db) under " + word);
  } else {
    found.push_back(path);
  }
  // Never merge the main database into itself.
  found.erase(std::remove_if(found.begin(), found.end(),
                             [&](const std::filesystem::path& f) {
                               return std::filesystem::equivalent(f, main_db, error);
                             }),
              found.end());
  return found;
}

void merge(const GlobalOptions& globals, const MergeOptions& options) {
  std::vector<std::filesystem::path> shards;
  for (const auto& word : options.shards) {
    for (auto& f : shard_files(word, globals.db))
      shards.push_back(std::move(f));
  }
  std::unique_ptr<store::RunStore> store = open_results(globals);
  int problems = 0, added = 0, updated = 0, unchanged = 0, running = 0;
  for (const auto& shard : shards) {
    const store::ShardMerge merged =
        launch::merge_shard_with_folders(*store, shard, globals.results_dir(), std::nullopt);
    if (!merged.problem.empty()) {
      ++problems;
      std::cout << shard.string() << ": not merged: " << merged.problem
                << " (left as it is; its job reruns on `attnlab sweep --resume`)" << std::endl;
      continue;
    }
    for (const auto& run : merged.runs) {
      using store::MergeAction;
      added += run.action == MergeAction::kAdded;
      updated += run.action == MergeAction::kUpdated;
      unchanged += run.action == MergeAction::kUnchanged;
      running += run.action == MergeAction::kRunning;
      if (globals.verbosity >= 0 && run.action != MergeAction::kUnchanged) {
        std::cout << shard.string() << ": run " << run.shard_run_id;
        if (run.action == MergeAction::kRunning) {
          std::cout << " is still running; left in the shard" << std::endl;
        } else {
          std::cout << " " << store::action_name(run.action) << " as " << run.run_id << " ("
                    << store::status_name(run.status) << ")" << std::endl;
        }
      }
    }
  }
  std::cout << "merged " << shards.size() - static_cast<size_t>(problems) << " shard(s) into "
            << globals.db.string() << ": " << added << " run(s) added, " << updated << " updated, "
            << unchanged << " unchanged, " << running << " still running";
  if (problems > 0) std::cout << "; " << problems << " shard(s) could not be read";
  std::cout << std::endl;
  if (problems > 0) {
    throw RunFailed(std::to_string(problems) + " shard(s) could not be merged (see above)");
  }
}

}  // namespace

void add_merge_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<MergeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Merge shard databases (written by Slurm array tasks) into the database.");
  cmd->add_option("shards", options->shards,
                  "shard database files, or folders searched for attnlab.db files")
      ->required();
  cmd->footer(
      "Examples:\n"
      "  attnlab merge results/sweeps/SWEEP_ID/shards\n"
      "  attnlab --db results/attnlab.db merge shards/job-3/attnlab.db\n"
      "Runs are matched by a unique id: merging the same shard again changes nothing,\n"
      "and a run that went on in a later task replaces its earlier copy. Runs still\n"
      "running are left in their shard; a shard that cannot be read is reported and\n"
      "left for a rerun. `attnlab sweep --launcher slurm` merges as tasks end.\n"
      "Exit codes: 0 merged, 1 a shard could not be read, 2 bad usage.");
  cmd->callback([&globals, options] { merge(globals, *options); });
}

}  // namespace attnlab::runner
