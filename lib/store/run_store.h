// The run repository: everything attnlab records about sweeps and runs goes
// through here (the values are in records.h). Each public write is one
// transaction, so a crash at any point leaves the database whole.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/records.h"

namespace attnlab::store {

class RunStore {
 public:
  // Opens (and creates or migrates, for kReadWrite) the database at `file`.
  // kReadOnly never writes the file: an older schema is migrated in an
  // in-memory copy. Throws StoreError for a schema newer than this build's
  // or a SQLite file that is not an attnlab database.
  RunStore(const std::filesystem::path& file, OpenMode mode);

  // Records a new run as 'running' and returns its id: the first 10 hex digits
  // of the config hash, with "-2", "-3", ... when that hash already has runs.
  std::string begin_run(const NewRun& run);
  // Records the model's trainable parameter count and the engine training
  // it ('fused' or 'modules').
  void set_model(const std::string& run_id, std::int64_t parameters, const std::string& engine);
  // Records the run process's peak resident memory.
  void set_peak_memory(const std::string& run_id, std::int64_t bytes);
  // A device's matrix-product peak measured on `hostname` with `threads`
  // LibTorch threads, in GFLOP/s, if one was recorded.
  std::optional<double> device_peak(const std::string& hostname, const std::string& device,
                                    const std::string& dtype, int threads);
  // Records (or replaces) such a peak.
  void record_device_peak(const std::string& hostname, const std::string& device,
                          const std::string& dtype, int threads, double gflops);
  // Records every setting, typed, in the params table.
  void set_params(const std::string& run_id, const std::vector<Param>& params);
  // A sign of life from the run's process.
  void heartbeat(const std::string& run_id);
  // The step of the checkpoint just saved.
  void set_checkpoint(const std::string& run_id, int step);
  void log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points);
  // Stores the results and marks the run finished, atomically.
  void finish_run(const std::string& run_id, const RunResults& results);
  // Ends a run that did not finish: status is 'failed', 'diverged' or 'interrupted'.
  void end_run(const std::string& run_id, RunStatus status, const std::string& error,
               double wall_seconds);
  // An interrupted run with this config hash and a checkpoint, newest first.
  std::optional<RunRecord> resumable_run(const std::string& config_hash);
  // Marks an interrupted run running again under process `pid` (and, when
  // Slurm runs it, its task).
  void reopen_run(const std::string& run_id, std::int64_t pid,
                  const std::string& slurm_job_id = "");
  // Marks every 'running' run interrupted with `why`. For a database only one
  // process writes at a time (a Slurm shard): a run still 'running' when the
  // next task starts is one whose task was killed without recording it.
  int interrupt_running_runs(const std::string& why);
  // Marks 'running' runs of this host whose process no longer exists as
  // interrupted, with `why` (or "process PID vanished") as the error. With
  // pid != 0, only that process's run. Returns how many it marked.
  int reap_vanished_runs(std::int64_t pid = 0, const std::string& why = "");

  // Records a sweep and its plan, one row per job, in one transaction.
  // `experiment_yaml` is the experiment file's text ("" for none).
  std::string begin_sweep(const std::string& name, const std::string& overrides_json,
                          const std::vector<PlannedJob>& jobs, const std::string& git_commit = "",
                          const std::string& experiment_yaml = "");
  // Records a sweep planned elsewhere under its own id, unless this
  // database already has it (a Slurm task's shard copies the main one's).
  void adopt_sweep(const std::string& sweep_id, const std::string& name,
                   const std::string& overrides_json, const std::vector<PlannedJob>& jobs,
                   const std::string& git_commit, const std::string& experiment_yaml);
  // Which launcher runs a sweep, and its options (YAML).
  void set_sweep_launcher(const std::string& sweep_id, const std::string& launcher,
                          const std::string& launcher_yaml);
  // A Slurm task submitted for job `job_index`, or its state as Slurm now
  // reports it (inserted or updated).
  void record_slurm_task(const std::string& sweep_id, const SlurmTask& task);
  // Every Slurm task of a sweep, by job, oldest submission first.
  std::vector<SlurmTask> slurm_tasks(const std::string& sweep_id);
  // The experiment file a sweep ran, "" when it had none.
  std::string sweep_experiment(const std::string& sweep_id);
  void finish_sweep(const std::string& sweep_id, bool ok);
  // Marks a sweep running again (it is being resumed).
  void reopen_sweep(const std::string& sweep_id);

  // A run's free-form tags, by key.
  std::map<std::string, std::string> tags(const std::string& run_id);
  // Adds or replaces tags of a run, in one transaction.
  void set_tags(const std::string& run_id, const std::map<std::string, std::string>& tags);
  // Removes tags of a run; returns how many of `keys` it had.
  int remove_tags(const std::string& run_id, const std::vector<std::string>& keys);
  // Removes a run and everything recorded of it (metrics, scores, tags, ...).
  void remove_run(const std::string& run_id);
  // Removes a sweep, its plan and the runs recorded as part of it, in one
  // transaction; returns those runs' ids.
  std::vector<std::string> remove_sweep(const std::string& sweep_id);

  // A run by exact id, or by a unique prefix of its id. Throws AmbiguousId
  // when a prefix is ambiguous.
  std::optional<RunRecord> find_run(const std::string& id_or_prefix);
  // The id of a finished run with this config hash, if any.
  std::optional<std::string> finished_run_with_hash(const std::string& config_hash);
  // Every run, oldest first.
  std::vector<RunRecord> list_runs();
  // The run of each job of a sweep, in job order: a finished run with the
  // job's hash (from any sweep), else the latest run with it. Jobs without
  // any run are left out.
  std::vector<RunRecord> sweep_runs(const std::string& sweep_id);
  std::vector<SweepRecord> list_sweeps();
  // A sweep by exact id, or by a unique prefix of it.
  std::optional<SweepRecord> find_sweep(const std::string& id_or_prefix);
  // A sweep's frozen plan, in job order.
  std::vector<PlannedJob> sweep_plan(const std::string& sweep_id);
  std::vector<LengthEval> evals(const std::string& run_id);
  std::vector<SplitScores> splits(const std::string& run_id);
  std::vector<DecodedExample> examples(const std::string& run_id);
  std::vector<Param> params(const std::string& run_id);
  std::vector<MetricPoint> metrics(const std::string& run_id);

  Database& database() { return db_; }

 private:
  Database db_;
};

// The current time as ISO 8601 UTC with seconds ("2026-11-24T04:05:06Z").
std::string utc_now();

// This machine's host name, as runs record it ("unknown" if it has none).
std::string this_host();

// True when `run` is 'running' on this host but its process no longer
// exists: it was killed or crashed without recording why.
bool process_vanished(const RunRecord& run);

// A JSON array of strings, as the runs and sweeps tables keep overrides and
// command words. Bytes that are not UTF-8 (a command line may hold any)
// become U+FFFD instead of failing.
std::string json_strings(const std::vector<std::string>& items);

}  // namespace attnlab::store
