// The Slurm launcher's parts: its options, the batch script of a job array,
// and talking to Slurm's own commands (sbatch, squeue, sacct). attnlab does
// not schedule anything itself; it submits one array per (re)submission and
// reads back what Slurm says of each task.
//
// Array task ids are the plan's job numbers counted from 1 (the same numbers
// as the sweep's "[i/N]" lines and job-i.log files); task i runs plan job
// i - 1 and writes its shard database in shards/job-i/ of the sweep folder.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::launch {

struct SlurmOptions {
  std::string partition;          // "" = the cluster's default
  std::string time = "01:00:00";  // per task
  int cpus_per_task = 0;          // 0 = the largest `threads` of the sweep's jobs
  std::string mem_per_task;       // "" = the cluster's default, else e.g. "4G"
  int gpus = 0;                   // --gres=gpu:N
  int array_parallelism = 0;      // 0 = no limit
  std::vector<std::string> sbatch_flags;
  double poll_seconds = 2;
  std::string job_name;  // "" = attnlab-<sweep name>
};

// Options from YAML text (configs/launcher/slurm.yaml) over the defaults.
// Throws std::invalid_argument naming `origin`, the line, the key and what
// is valid.
SlurmOptions parse_slurm_options(const std::string& yaml, const std::string& origin);

// Applies one `launcher.KEY=VALUE` override. Throws std::invalid_argument.
void apply_slurm_override(SlurmOptions* options, const std::string& key, const std::string& value);

// The options as YAML, every key (what a sweep stores and a resume reuses).
std::string slurm_options_yaml(const SlurmOptions& options);

// "1-3,5,7-9" for those task ids, with "%N" when parallelism > 0.
// REQUIRES: ids non-empty and positive.
std::string array_spec(std::vector<int> ids, int parallelism);

struct ArrayRequest {
  std::filesystem::path sweep_dir;   // absolute
  std::filesystem::path job_file;    // absolute
  std::filesystem::path executable;  // attnlab, absolute
  std::filesystem::path workdir;     // the tasks' working directory, absolute
  std::vector<int> task_ids;         // 1-based plan positions
  std::string job_name;
  int cpus_per_task = 1;
  SlurmOptions options;
};

// The sbatch arguments (without the script) and the script of one array.
std::vector<std::string> sbatch_arguments(const ArrayRequest& request);
std::string batch_script(const ArrayRequest& request);

// The shard database of task `task_id` in a sweep folder.
std::filesystem::path shard_path(const std::filesystem::path& sweep_dir, int task_id);

struct CommandResult {
  int exit_code = 0;  // 127 when the program could not be run
  std::string out;
  std::string err;
};

// Runs a program (looked up on PATH) without a shell and collects its output.
CommandResult run_command(const std::vector<std::string>& argv);

// Submits `script` with `arguments`; returns the array's job id. Throws
// std::runtime_error with sbatch's own message (or, when sbatch is missing,
// what to install).
std::string submit_array(const std::vector<std::string>& arguments,
                         const std::filesystem::path& script);

struct TaskState {
  std::string state;   // Slurm's: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
  std::string reason;  // Slurm's reason, "None" when it gives none
};

// `squeue -h -r -t all -o '%i|%T|%r'` output, by task ("123_4").
std::map<std::string, TaskState> parse_squeue(const std::string& out);
// `sacct -n -P -X -o JobID,State` output, by task.
std::map<std::string, TaskState> parse_sacct(const std::string& out);

// What Slurm knows of the tasks of these arrays: squeue, then sacct (when
// accounting exists) for tasks squeue has forgotten. nullopt when squeue
// itself failed (slurmctld unreachable); `error` then says why.
std::optional<std::map<std::string, TaskState>> query_tasks(const std::vector<std::string>& arrays,
                                                            std::string* error);

// How attnlab reads a Slurm state.
enum class TaskPhase { kPending, kRunning, kEnded };
// How an ended task ended, for a run that did not record its own end:
// completed (the run should have said more), failed, or interrupted (it may
// resume from its checkpoint).
enum class TaskEnd { kNotEnded, kCompleted, kFailed, kInterrupted };
struct StateMeaning {
  TaskPhase phase = TaskPhase::kPending;
  TaskEnd end = TaskEnd::kNotEnded;
  std::string why;  // in words, for the run's error
};
StateMeaning interpret_state(const std::string& slurm_state);

}  // namespace attnlab::launch
