// The run repository: everything attnlab records about sweeps and runs goes
// through here. Each public write is one transaction, so a crash at any point
// leaves the database whole. A run is 'running' (its process, pid, beats a
// heartbeat), 'finished' with all its evaluations, 'failed' (with its error),
// 'diverged' (its loss became NaN or infinite) or 'interrupted' (stopped by a
// signal, or its process vanished; it resumes from its last checkpoint).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace attnlab::store {

struct Environment {
  std::string git_commit;
  std::string torch_version;
  int threads = 1;
  std::string cpu;
  std::string device;
  std::string hostname;
  bool git_dirty = false;       // the source tree had uncommitted changes
  std::string attnlab_version;  // the release, e.g. "0.4.0"
  std::string blas;             // the BLAS library LibTorch calls
  std::string gpu;              // the GPU's name, "" on the CPU
};

struct NewRun {
  std::string sweep_id;  // "" when the run belongs to no sweep
  std::string config_hash;
  std::string config_yaml;
  std::string overrides_json;  // JSON array of strings
  std::uint64_t seed = 0;
  std::string task;
  std::string model;
  std::string attention;
  std::string decoder;  // model.decoder ('luong', 'bahdanau'), or 'transformer'
  int hidden_size = 0;
  int train_min_length = 0;
  int train_max_length = 0;
  std::string length_unit;  // what the task's lengths count: "symbols", "digits", ...
  // What besides the settings decided the data (data::Task::data_identity()):
  // "" when the settings and seed alone do.
  std::string data_identity;
  std::string slurm_job_id;  // "ARRAY_TASK" (or the job id) when Slurm ran it, else ""
  Environment environment;
};

struct RunRecord {
  std::string run_id;
  std::string uid;  // random, unique across databases: what shard merging matches on
  NewRun run;
  std::string status;  // running | finished | failed | diverged | interrupted
  std::string error;
  std::string started_at;  // ISO 8601, UTC
  std::string finished_at;
  double wall_seconds = 0;
  std::int64_t parameters = 0;  // trainable parameters; 0 until the model was built
  std::int64_t pid = 0;         // the process training it (0 once it ended)
  std::string heartbeat_at;
  int checkpoint_step = 0;             // last saved step; 0 = none
  std::int64_t peak_memory_bytes = 0;  // the run process's peak resident memory; 0 = unknown
  int selected_step = 0;               // the step whose weights were evaluated; 0 = not recorded
  int trained_steps = 0;               // optimiser steps taken; 0 = not recorded
  std::string engine;                  // 'fused' or 'modules' (train.engine); empty = not recorded
};

// One setting of a run, flattened ('model.hidden_size'), typed.
struct Param {
  std::string key;
  Value value;
};

// Scores of one evaluation set: a length bucket, or a whole split.
struct Scores {
  int n = 0;                     // examples
  double token_accuracy = 0;     // reference tokens predicted right, in [0, 1]
  double sequence_accuracy = 0;  // exact match, in [0, 1]
  double error_rate = 0;         // edit distance / reference tokens (PER, WER or CER)
  double bleu = 0;               // corpus BLEU (sacreBLEU's default), in [0, 100]
  // exp of the mean teacher-forced cross-entropy per reference token (<eos>
  // included); 0 when not measured (runs stored before schema 8).
  double perplexity = 0;
};

struct LengthEval : Scores {
  int length = 0;  // the task's length of the bucket's examples
  // '1' or '0' per example (decoded exactly or not), in evaluation order: the
  // same examples, in the same order, for every run of a seed and task. Empty
  // when not recorded (runs stored before schema 5).
  std::string outcomes;
};

// A whole split at once ('test' over every evaluated length, or 'dev').
struct SplitScores : Scores {
  std::string split;
};

// One decoded evaluation example with the attention it paid.
struct DecodedExample {
  int length = 0;
  std::string source;      // text, as the task writes it
  std::string reference;   // the expected output
  std::string prediction;  // the decoded output, up to <eos>
  std::vector<std::string> source_tokens;
  std::vector<std::string> output_tokens;  // decoded tokens, <eos> included when produced
  // Row-major [output_tokens x source_tokens] weights (a row sums to 1); empty
  // for a model without attention. The Transformer's is its last layer's,
  // mean over heads.
  std::vector<float> weights;
};

// What a finished run stores, at once.
struct RunResults {
  std::vector<LengthEval> evals;  // per length
  std::vector<SplitScores> splits;
  std::vector<DecodedExample> examples;
  double wall_seconds = 0;
  int selected_step = 0;  // the step whose weights were evaluated (train.select)
  int trained_steps = 0;  // fewer than train.steps when early stopping ended training
};

struct MetricPoint {
  int step = 0;
  std::string name;
  double value = 0;
};

struct PlannedJob {
  std::string overrides_json;  // JSON array of strings
  std::string config_hash;
  std::string config_yaml;  // the composed settings, frozen with the plan
};

struct SweepRecord {
  std::string sweep_id;
  std::string name;
  std::string overrides_json;
  int n_jobs = 0;
  std::string status;
  std::string created_at;
  std::string finished_at;
  int finished = 0;                // jobs whose run finished
  int failed = 0;                  // jobs whose latest run failed, diverged or was interrupted
  int running = 0;                 // jobs whose latest run is still running
  std::string launcher = "local";  // "local" or "slurm"
  std::string launcher_yaml;       // the launcher's options as the sweep used them
};

// One Slurm array task that ran (or was to run) a job of a sweep.
struct SlurmTask {
  int job_index = 0;         // 0-based, in the sweep's plan
  std::string slurm_job_id;  // "ARRAY_TASK"
  std::string state;         // Slurm's state when last seen (PENDING, RUNNING, COMPLETED, ...)
  std::string reason;
  std::string submitted_at;
  std::string updated_at;
};

class RunStore {
 public:
  // Opens (and creates or migrates, for kReadWrite) the database at `file`.
  RunStore(const std::filesystem::path& file, OpenMode mode);

  // Records a new run as 'running' and returns its id: the first 10 hex digits
  // of the config hash, with "-2", "-3", ... when that hash already has runs.
  std::string begin_run(const NewRun& run);
  // Records the model's trainable parameter count and the engine training
  // it ('fused' or 'modules').
  void set_model(const std::string& run_id, std::int64_t parameters, const std::string& engine);
  // Records the run process's peak resident memory.
  void set_peak_memory(const std::string& run_id, std::int64_t bytes);
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
  void end_run(const std::string& run_id, const std::string& status, const std::string& error,
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

  // A run by exact id, or by a unique prefix of its id. Throws StoreError when
  // a prefix is ambiguous.
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
