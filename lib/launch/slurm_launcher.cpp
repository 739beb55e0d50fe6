// The Slurm launcher: collect what earlier arrays of the sweep left, submit
// one array for the rest, then poll Slurm and merge each task's shard into
// the main database as the task ends. Slurm's record of a task is kept in
// slurm_tasks; the run's own record (status, error) comes from its shard,
// with Slurm's state filling in when the run could not record its end.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "base/files.h"
#include "base/text.h"
#include "launch/job_file.h"
#include "launch/launcher.h"
#include "launch/log_tail.h"
#include "launch/shards.h"
#include "launch/slurm.h"

namespace attnlab::launch {
namespace {

// Consecutive squeue failures after which the driver gives up waiting.
constexpr int kQueryFailures = 15;

// Merges job `job`'s shard in sweep folder `dir`; `state` is Slurm's final
// word on task `task_id` ("" when only runs that recorded their own end are
// to be merged). A shard that cannot be read is moved aside with its folder
// (its WAL must not meet a new database); the job's next task starts afresh.
void merge_job_shard(const SweepContext& sweep, SweepEvents& events, const store::PlannedJob& job,
                     const std::string& task_id, const std::string& state) {
  const auto shard = shard_path(sweep.dir, job.index);
  std::error_code error;
  if (!std::filesystem::exists(shard, error)) return;  // the task never started
  std::optional<store::EndedRun> ended;
  if (!state.empty()) {
    const auto meaning = interpret_state(state);
    // A task that completed without its run recording the end: the run failed.
    const bool completed = meaning.end == TaskEnd::kCompleted;
    ended = store::EndedRun{meaning.end == TaskEnd::kInterrupted ? store::RunStatus::kInterrupted
                                                                 : store::RunStatus::kFailed,
                            "Slurm task " + task_id + " " + meaning.why +
                                (completed ? ", but its run never recorded its end" : "")};
  }
  const store::ShardMerge merged =
      merge_shard_with_folders(*sweep.store, shard, sweep.results_dir, ended);
  if (merged.problem.empty()) return;
  const auto aside = shard.parent_path().string() + ".damaged";
  std::filesystem::remove_all(aside, error);
  std::filesystem::rename(shard.parent_path(), aside, error);
  events.warn("job " + std::to_string(job.index) + ": shard " + shard.string() +
              " cannot be merged (" + merged.problem + "); moved to " + aside +
              ", the job will be rerun");
}

// Array tasks run in another working directory: every path they are given
// is absolute.
SweepContext with_absolute_folder(const SweepContext& sweep) {
  SweepContext out = sweep;
  out.dir = std::filesystem::absolute(sweep.dir);
  out.results_dir = std::filesystem::absolute(sweep.results_dir);
  return out;
}

struct Watched {
  const store::PlannedJob* job = nullptr;
  std::string task_id;  // "ARRAY_TASK"
  std::string state;    // as last recorded
  LogTail log;
  bool started = false;
  int absent = 0;  // polls in a row that Slurm did not know the task
};

class SlurmLauncher : public Launcher {
 public:
  explicit SlurmLauncher(const LauncherSettings& settings);

  std::string options_yaml() const override { return slurm_options_yaml(options_); }
  std::string describe() const override {
    return "through Slurm" + (options_.array_parallelism > 0
                                  ? ", " + std::to_string(options_.array_parallelism) + " at a time"
                                  : std::string());
  }
  // Merges the shards of runs that recorded their own end before the sweep
  // counts what is left to run (a resumed sweep's).
  void prepare(const SweepContext& sweep, SweepEvents& events) override {
    const SweepContext absolute = with_absolute_folder(sweep);
    for (const auto& job : *sweep.plan)
      merge_job_shard(absolute, events, job, "", "");
  }
  LaunchResult launch(const SweepContext& sweep, const std::vector<const store::PlannedJob*>& jobs,
                      SweepEvents& events) override;

 private:
  bool finished(const store::PlannedJob& job) const {
    return sweep_->store->finished_run_with_hash(job.config_hash).has_value();
  }
  static std::string array_of(const std::string& task_id) {
    return task_id.substr(0, task_id.find('_'));
  }
  void write_job_file() const;
  void record(const store::PlannedJob& job, const std::string& task_id, const std::string& state,
              const std::string& reason) {
    sweep_->store->record_slurm_task(sweep_->sweep_id,
                                     {job.index - 1, task_id, state, reason, "", ""});
  }
  std::vector<const store::PlannedJob*> collect(const std::vector<const store::PlannedJob*>& jobs);
  void watch_or_resubmit(const store::PlannedJob& job, const store::SlurmTask& task,
                         const std::map<std::string, TaskState>& known,
                         std::vector<const store::PlannedJob*>* to_submit);
  void submit(const std::vector<const store::PlannedJob*>& jobs);
  bool wait();
  // Polls Slurm once and counts the jobs that ended without a finished run
  // into `failed`; false (and why in `error`) when Slurm could not be asked.
  bool poll(int* failed, std::string* error);
  std::string failure(const store::PlannedJob& job, const std::string& task_id,
                      const std::string& state) const;

  SlurmOptions options_;
  bool wait_ = true;
  SweepContext context_;  // the sweep being launched, its folder absolute
  const SweepContext* sweep_ = &context_;
  SweepEvents* events_ = nullptr;
  std::vector<Watched> watched_;
};

// configs/launcher/slurm.yaml (or what a resumed sweep used), then the
// command line's launcher.KEY=VALUE words and --jobs.
SlurmLauncher::SlurmLauncher(const LauncherSettings& settings) : wait_(settings.wait) {
  std::string text;
  if (!settings.stored_yaml.empty()) {
    options_ = parse_slurm_options(settings.stored_yaml, "the sweep's stored launcher options");
  } else if (base::read_file(settings.options_file, &text)) {
    options_ = parse_slurm_options(text, settings.options_file.string());
  }
  for (const auto& [key, value] : settings.options)
    apply_slurm_override(&options_, key, value);
  if (settings.parallel_given) options_.array_parallelism = settings.parallel;
}

void SlurmLauncher::write_job_file() const {
  JobFile file;
  file.sweep_id = sweep_->sweep_id;
  file.name = sweep_->name;
  file.words = sweep_->words;
  file.git_commit = sweep_->git_commit;
  file.experiment_yaml = sweep_->experiment_yaml;
  file.jobs = *sweep_->plan;
  std::filesystem::create_directories(sweep_->dir);
  base::write_file_atomically(sweep_->dir / "plan.json", job_file_text(file));
}

std::string SlurmLauncher::failure(const store::PlannedJob& job, const std::string& task_id,
                                   const std::string& state) const {
  std::string why = "Slurm task " + task_id + " " + state;
  for (const auto& run : sweep_->store->sweep_runs(sweep_->sweep_id)) {
    if (run.run.config_hash == job.config_hash && !run.error.empty()) why += ": " + run.error;
  }
  return describe_overrides(job) + " (" + why + "); log: " + sweep_->log_of(job).string();
}

// The jobs to submit: those without a task, or whose last task ended without
// a finished run. Tasks recorded as queued or running are asked after first
// and watched instead, so that a job never runs twice at once.
std::vector<const store::PlannedJob*> SlurmLauncher::collect(
    const std::vector<const store::PlannedJob*>& jobs) {
  std::map<int, store::SlurmTask> latest;  // by 0-based job index
  for (const auto& task : sweep_->store->slurm_tasks(sweep_->sweep_id))
    latest[task.job_index] = task;
  std::vector<const store::PlannedJob*> open;
  for (const auto* job : jobs) {
    if (!finished(*job)) open.push_back(job);
  }
  std::set<std::string> arrays;
  for (const auto* job : open) {
    const auto it = latest.find(job->index - 1);
    if (it != latest.end() && interpret_state(it->second.state).phase != TaskPhase::kEnded) {
      arrays.insert(array_of(it->second.slurm_job_id));
    }
  }
  std::map<std::string, TaskState> known;
  if (!arrays.empty()) {
    std::string error;
    const auto answer = query_tasks({arrays.begin(), arrays.end()}, &error);
    if (!answer) {
      throw LaunchLost("cannot ask Slurm about sweep " + sweep_->sweep_id + "'s tasks: " + error);
    }
    known = *answer;
  }
  std::vector<const store::PlannedJob*> to_submit;
  for (const auto* job : open) {
    const auto it = latest.find(job->index - 1);
    if (it == latest.end() || interpret_state(it->second.state).phase == TaskPhase::kEnded) {
      to_submit.push_back(job);
    } else {
      watch_or_resubmit(*job, it->second, known, &to_submit);
    }
  }
  return to_submit;
}

// A task recorded as queued or running: watched while Slurm still has it
// so, else merged, recorded as ended, and its job submitted again unless
// its run finished.
void SlurmLauncher::watch_or_resubmit(const store::PlannedJob& job, const store::SlurmTask& task,
                                      const std::map<std::string, TaskState>& known,
                                      std::vector<const store::PlannedJob*>* to_submit) {
  const auto now = known.find(task.slurm_job_id);
  const std::string state = now == known.end() ? "VANISHED" : now->second.state;
  const auto meaning = interpret_state(state);
  if (meaning.phase != TaskPhase::kEnded) {
    record(job, task.slurm_job_id, state, now->second.reason);
    watched_.push_back(
        {&job, task.slurm_job_id, state, LogTail(sweep_->log_of(job), true), false, 0});
    return;
  }
  merge_job_shard(*sweep_, *events_, job, task.slurm_job_id, state);
  record(job, task.slurm_job_id, state, now == known.end() ? meaning.why : now->second.reason);
  const bool done = finished(job);
  events_->note("[" + std::to_string(job.index) + "/" + std::to_string(sweep_->plan->size()) +
                "] " + (done ? "finished" : "ended") + " earlier as Slurm task " +
                task.slurm_job_id + " (" + state + ")" + (done ? "" : "; submitting it again"));
  if (!done) to_submit->push_back(&job);
}

void SlurmLauncher::submit(const std::vector<const store::PlannedJob*>& jobs) {
  ArrayRequest request;
  request.sweep_dir = sweep_->dir;
  request.job_file = sweep_->dir / "plan.json";
  request.executable = std::filesystem::read_symlink("/proc/self/exe");
  request.workdir = std::filesystem::current_path();
  request.job_name = options_.job_name.empty() ? "attnlab-" + sweep_->name : options_.job_name;
  request.options = options_;
  request.cpus_per_task = options_.cpus_per_task;
  for (const auto* job : jobs) {
    request.task_ids.push_back(job->index);
    if (options_.cpus_per_task == 0) {
      request.cpus_per_task =
          std::max(request.cpus_per_task, std::max(1, settings_of(*job).threads));
    }
  }
  const auto script = sweep_->dir / "slurm" / ("array-" + array_spec(request.task_ids, 0) + ".sh");
  std::filesystem::create_directories(script.parent_path());
  base::write_file_atomically(script, batch_script(request));
  // Where a task's log stops before this submission: the rest is new.
  std::vector<LogTail> logs;
  for (const auto* job : jobs)
    logs.emplace_back(sweep_->log_of(*job), true);
  std::string array;
  try {
    array = submit_array(sbatch_arguments(request), script);
  } catch (const std::runtime_error& e) {
    throw LaunchRefused(std::string(e.what()) + " (script: " + script.string() + ")");
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string task_id = array + "_" + std::to_string(jobs[i]->index);
    record(*jobs[i], task_id, "PENDING", "submitted");
    watched_.push_back({jobs[i], task_id, "PENDING", logs[i], false, 0});
  }
  events_->note("submitted Slurm array " + array + ": tasks " +
                array_spec(request.task_ids, options_.array_parallelism) + ", " +
                std::to_string(request.cpus_per_task) + " CPU(s) and " + options_.time +
                " each; script " + script.string());
}

bool SlurmLauncher::poll(int* failed, std::string* error) {
  std::set<std::string> arrays;
  for (const auto& w : watched_)
    arrays.insert(array_of(w.task_id));
  const auto known = query_tasks({arrays.begin(), arrays.end()}, error);
  if (!known) return false;
  int pending = 0;
  for (auto w = watched_.begin(); w != watched_.end();) {
    const store::PlannedJob& job = *w->job;
    w->log.read([&](const std::string& line) { events_->job_output(job.index, line); });
    const auto it = known->find(w->task_id);
    // A task Slurm does not know: one cancelled while still pending
    // leaves no record, and finished ones are forgotten after MinJobAge.
    if (it == known->end() && ++w->absent < 2) {
      ++w;
      continue;
    }
    const std::string state = it == known->end() ? "VANISHED" : it->second.state;
    const auto meaning = interpret_state(state);
    if (state != w->state) {
      record(job, w->task_id, state, it == known->end() ? meaning.why : it->second.reason);
      w->state = state;
    }
    if (meaning.phase != TaskPhase::kPending && !w->started) {
      events_->job_started(job.index, describe_overrides(job) + " (Slurm task " + w->task_id + ")");
      w->started = true;
    }
    if (meaning.phase != TaskPhase::kEnded) {
      pending += meaning.phase == TaskPhase::kPending;
      ++w;
      continue;
    }
    merge_job_shard(*sweep_, *events_, job, w->task_id, state);
    w->log.read([&](const std::string& line) { events_->job_output(job.index, line); });
    const bool ok = finished(job);
    *failed += ok ? 0 : 1;
    events_->job_ended(job.index, ok, ok ? "" : failure(job, w->task_id, state));
    w = watched_.erase(w);
  }
  events_->jobs_pending(pending);
  return true;
}

bool SlurmLauncher::wait() {
  events_->jobs_begin(static_cast<int>(sweep_->plan->size()), static_cast<int>(watched_.size()));
  int query_failures = 0, failed = 0;
  while (!watched_.empty()) {
    if (events_->stop_requested()) {
      events_->jobs_end();
      throw LaunchLost("stopped waiting for sweep " + sweep_->sweep_id +
                       "; its Slurm tasks go on (scancel " + array_of(watched_.front().task_id) +
                       " stops them). Collect the results with `attnlab sweep --resume " +
                       sweep_->sweep_id + "`");
    }
    std::string error;
    if (poll(&failed, &error)) {
      query_failures = 0;
    } else if (++query_failures >= kQueryFailures) {
      events_->jobs_end();
      throw LaunchLost("lost contact with Slurm (" + error +
                       "); the tasks may still run. Collect them later with `attnlab sweep "
                       "--resume " +
                       sweep_->sweep_id + "`");
    }
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(options_.poll_seconds);
    while (!watched_.empty() && std::chrono::steady_clock::now() < until &&
           !events_->stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  events_->jobs_end();
  return failed == 0;
}

LaunchResult SlurmLauncher::launch(const SweepContext& sweep,
                                   const std::vector<const store::PlannedJob*>& jobs,
                                   SweepEvents& events) {
  context_ = with_absolute_folder(sweep);
  events_ = &events;
  watched_.clear();
  write_job_file();
  const auto to_submit = collect(jobs);
  if (!to_submit.empty()) submit(to_submit);
  if (!wait_) {
    if (!watched_.empty()) {
      events.note("not waiting (--no-wait): follow the tasks with `squeue -r -j " +
                  array_of(watched_.back().task_id) +
                  "`; collect the results with `attnlab sweep --resume " + sweep.sweep_id + "`");
    }
    return {watched_.empty(), false};
  }
  return {true, wait()};
}

}  // namespace

std::unique_ptr<Launcher> make_slurm_launcher(const LauncherSettings& settings) {
  return std::make_unique<SlurmLauncher>(settings);
}

}  // namespace attnlab::launch
