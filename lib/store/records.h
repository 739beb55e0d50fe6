// The values attnlab records about runs and sweeps, without the repository
// that stores them (run_store.h): what the trainer reports and the report
// reads need only these. A run is 'running' (its process, pid, beats a
// heartbeat), 'finished' with all its evaluations, 'failed' (with its
// error), 'diverged' (its loss became NaN or infinite) or 'interrupted'
// (stopped by a signal, or its process vanished; it resumes from its last
// checkpoint).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "base/registry.h"

namespace attnlab::store {

// One SQLite value: NULL, an integer, a real or text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

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
  std::string config_json;     // the same settings as JSON (SQLite's json_extract)
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

// A run's state (above: what each means); the runs table stores its name.
enum class RunStatus { kRunning, kFinished, kFailed, kDiverged, kInterrupted };

// The names ("running", "finished", ...), in the enum's order; at() throws
// std::invalid_argument naming the valid ones.
const base::Registry<RunStatus>& run_statuses();
// The name of `status`, as stored.
const std::string& status_name(RunStatus status);

// A sweep is running until its driver ends it completed (every job
// finished) or failed; a resumed sweep runs again.
enum class SweepStatus { kRunning, kCompleted, kFailed };
const base::Registry<SweepStatus>& sweep_statuses();
const std::string& status_name(SweepStatus status);

struct RunRecord {
  std::string run_id;
  std::string uid;  // random, unique across databases: what shard merging matches on
  NewRun run;
  RunStatus status = RunStatus::kRunning;
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
  std::string weights_sha256;          // of runs/RUN_ID/model.pt; empty = no weights kept
};

// One setting of a run, flattened ('model.hidden_size'), typed.
struct Param {
  std::string key;
  Value value;
};

// Scores of one evaluation set: a length bucket, or a whole split.
// A score that was not measured (NULL in the database).
inline constexpr double kUnmeasured = std::numeric_limits<double>::quiet_NaN();

struct Scores {
  int n = 0;                     // examples
  double token_accuracy = 0;     // reference tokens predicted right, in [0, 1]
  double sequence_accuracy = 0;  // exact match, in [0, 1]
  double error_rate = 0;         // edit distance / reference tokens (PER, WER or CER)
  double bleu =
      0;  // corpus BLEU on the task's tokens, in [0, 100]; NaN: undefined (train/metrics.h)
  // exp of the mean teacher-forced cross-entropy per reference token (<eos>
  // included); 0 when not measured (runs stored before schema 8).
  double perplexity = 0;
  // The attention against the task's gold alignment (data::Task::
  // gold_alignment), teacher-forced, each output step linked to the source
  // position of its strongest weight; NaN where not measured (a task without
  // gold links, a model without attention, runs stored before schema 14).
  double aer = kUnmeasured;                 // alignment error rate (Och and Ney 2003), in [0, 1]
  double alignment_accuracy = kUnmeasured;  // steps whose strongest weight is on a gold position
};

// Sums over examples of the edits e (edit distance to the closest reference)
// and the reference tokens r (<eos> excluded) of each: the error rate is
// edits / reference, and the other three sums give its sampling variance
// (report/statistics.h). All 0 when not recorded (runs stored before schema 15).
struct EditSums {
  std::int64_t examples = 0;
  std::int64_t edits = 0;               // sum e
  std::int64_t reference = 0;           // sum r
  std::int64_t edits_squared = 0;       // sum e^2
  std::int64_t edits_by_reference = 0;  // sum e r
  std::int64_t reference_squared = 0;   // sum r^2

  // Adds one example.
  void add(std::int64_t e, std::int64_t r);
  EditSums& operator+=(const EditSums& other);
};

struct LengthEval : Scores {
  int length = 0;  // the task's length of the bucket's examples
  // '1' or '0' per example (decoded exactly or not), in evaluation order: the
  // same examples, in the same order, for every run of a seed and task. Empty
  // when not recorded (runs stored before schema 5).
  std::string outcomes;
  EditSums edit_sums;
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
  int selected_step = 0;            // the step whose weights were evaluated (train.select)
  int trained_steps = 0;            // fewer than train.steps when early stopping ended training
  std::string weights_sha256 = "";  // of the weights file kept; "" when none was kept
};

// The names of the metrics a run records (the metrics table's `name`).
namespace metric {
inline constexpr const char* kTrainLoss = "train_loss";  // mean over the logged window
inline constexpr const char* kLearningRate = "lr";       // the schedule's, at the step
inline constexpr const char* kElapsedSeconds = "elapsed_seconds";
inline constexpr const char* kDevExact = "dev_exact";  // the learning curve; selection
inline constexpr const char* kDevTokenAccuracy = "dev_token_accuracy";
inline constexpr const char* kDevPerplexity = "dev_perplexity";
inline constexpr const char* kEvalExact = "eval_exact";  // the curve of runs before the dev split
// The run's cost, once it finished.
inline constexpr const char* kStepsPerSecond = "steps_per_second";
inline constexpr const char* kFlopsPerStep = "flops_per_step";
inline constexpr const char* kPeakGflops = "peak_gflops";  // its device's measured peak
}  // namespace metric

struct MetricPoint {
  int step = 0;
  std::string name;
  double value = 0;
};

// One job of a sweep's frozen plan, in the one shape it has from planning to
// the child process that runs it: the sweep stores it, the job file carries
// it, a launcher starts it and `attnlab run --job` reads it back.
struct PlannedJob {
  int index = 0;  // its place in the plan from 1: "[i/N]", job-i.log, Slurm task i
  std::vector<std::string> overrides;  // as given on the command line
  std::string config_hash;
  std::string config_yaml;  // the composed settings, frozen with the plan
};

struct SweepRecord {
  std::string sweep_id;
  std::string name;
  std::string overrides_json;
  int n_jobs = 0;
  SweepStatus status = SweepStatus::kRunning;
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

}  // namespace attnlab::store
