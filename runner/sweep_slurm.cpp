// The Slurm side of `attnlab sweep`: collect what earlier arrays left, submit
// one array for the rest, then poll Slurm and merge each task's shard into
// the main database as the task ends. Slurm's record of a task is kept in
// slurm_tasks; the run's own record (status, error) comes from its shard,
// with Slurm's state filling in when the run could not record its end.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "base/files.h"
#include "launch/job_file.h"
#include "launch/log_tail.h"
#include "runner/sweep.h"
#include "store/merge.h"

namespace attnlab::runner {
namespace {

// Consecutive squeue failures after which the driver gives up waiting.
constexpr int kQueryFailures = 15;

// Merges job `job`'s shard in sweep folder `dir`; `state` is Slurm's final
// word on task `task_id` ("" when only runs that recorded their own end are
// to be merged). A shard that cannot be read is moved aside with its folder
// (its WAL must not meet a new database); the job's next task starts afresh.
void merge_job_shard(const GlobalOptions& globals, store::RunStore& store,
                     const std::filesystem::path& dir, const PlannedJob& job,
                     const std::string& task_id, const std::string& state) {
  const auto shard = launch::shard_path(dir, job.index);
  std::error_code error;
  if (!std::filesystem::exists(shard, error)) return;  // the task never started
  std::optional<store::EndedRun> ended;
  if (!state.empty()) {
    const auto meaning = launch::interpret_state(state);
    // A task that completed without its run recording the end: the run failed.
    const bool completed = meaning.end == launch::TaskEnd::kCompleted;
    ended = store::EndedRun{meaning.end == launch::TaskEnd::kInterrupted
                                ? store::RunStatus::kInterrupted
                                : store::RunStatus::kFailed,
                            "Slurm task " + task_id + " " + meaning.why +
                                (completed ? ", but its run never recorded its end" : "")};
  }
  const store::ShardMerge merged = merge_shard_and_folders(globals, store, shard, ended);
  if (merged.problem.empty()) return;
  const auto aside = shard.parent_path().string() + ".damaged";
  std::filesystem::remove_all(aside, error);
  std::filesystem::rename(shard.parent_path(), aside, error);
  std::cerr << "warning: job " << job.index << ": shard " << shard.string() << " cannot be merged ("
            << merged.problem << "); moved to " << aside << ", the job will be rerun" << std::endl;
}

struct Watched {
  const PlannedJob* job = nullptr;
  std::string task_id;  // "ARRAY_TASK"
  std::string state;    // as last recorded
  launch::LogTail log;
  bool started = false;
  int absent = 0;  // polls in a row that Slurm did not know the task
};

class SlurmDriver {
 public:
  SlurmDriver(const GlobalOptions& globals, store::RunStore& store, const SlurmSweep& sweep)
      : globals_(globals),
        store_(store),
        sweep_(sweep),
        dir_(std::filesystem::absolute(globals.results_dir() / "sweeps" / sweep.sweep_id)) {}

  SlurmResult run();

 private:
  bool finished(const PlannedJob& job) const {
    return store_.finished_run_with_hash(job.hash).has_value();
  }
  std::string array_of(const std::string& task_id) const {
    return task_id.substr(0, task_id.find('_'));
  }
  void write_job_file() const;
  void merge(const PlannedJob& job, const std::string& task_id, const std::string& state) {
    merge_job_shard(globals_, store_, dir_, job, task_id, state);
  }
  void record(const PlannedJob& job, const std::string& task_id, const std::string& state,
              const std::string& reason) {
    store_.record_slurm_task(sweep_.sweep_id, {job.index - 1, task_id, state, reason, "", ""});
  }
  std::vector<const PlannedJob*> collect();
  void submit(const std::vector<const PlannedJob*>& jobs);
  bool wait();
  std::string failure(const PlannedJob& job, const std::string& task_id, const std::string& state);

  const GlobalOptions& globals_;
  store::RunStore& store_;
  const SlurmSweep& sweep_;
  std::filesystem::path dir_;
  std::vector<Watched> watched_;
};

void SlurmDriver::write_job_file() const {
  launch::JobFile file;
  file.sweep_id = sweep_.sweep_id;
  file.name = sweep_.name;
  file.words = sweep_.words;
  file.git_commit = sweep_.git_commit;
  file.experiment_yaml = sweep_.experiment_yaml;
  for (const auto& p : sweep_.plan)
    file.jobs.push_back({p.overrides, p.hash, p.config_yaml});
  std::filesystem::create_directories(dir_);
  base::write_file_atomically(dir_ / "plan.json", launch::job_file_text(file));
}

std::string SlurmDriver::failure(const PlannedJob& job, const std::string& task_id,
                                 const std::string& state) {
  std::string why = "Slurm task " + task_id + " " + state;
  for (const auto& run : store_.sweep_runs(sweep_.sweep_id)) {
    if (run.run.config_hash == job.hash && !run.error.empty()) why += ": " + run.error;
  }
  return describe(job.overrides) + " (" + why +
         "); log: " + (dir_ / ("job-" + std::to_string(job.index) + ".log")).string();
}

std::vector<const PlannedJob*> SlurmDriver::collect() {
  std::map<int, store::SlurmTask> latest;  // by 0-based job index
  for (const auto& task : store_.slurm_tasks(sweep_.sweep_id))
    latest[task.job_index] = task;
  std::vector<const PlannedJob*> open;
  for (const auto& p : sweep_.plan) {
    if (p.done_run_id.empty() && !finished(p)) open.push_back(&p);
  }
  // Tasks recorded as queued or running: ask Slurm before resubmitting, so
  // that a job never runs twice at once.
  std::set<std::string> arrays;
  for (const auto* p : open) {
    const auto it = latest.find(p->index - 1);
    if (it != latest.end() &&
        launch::interpret_state(it->second.state).phase != launch::TaskPhase::kEnded) {
      arrays.insert(array_of(it->second.slurm_job_id));
    }
  }
  std::map<std::string, launch::TaskState> known;
  if (!arrays.empty()) {
    std::string error;
    const auto answer = launch::query_tasks({arrays.begin(), arrays.end()}, &error);
    if (!answer) {
      throw RunFailed("cannot ask Slurm about sweep " + sweep_.sweep_id + "'s tasks: " + error);
    }
    known = *answer;
  }
  std::vector<const PlannedJob*> to_submit;
  for (const auto* p : open) {
    const auto it = latest.find(p->index - 1);
    if (it == latest.end()) {
      to_submit.push_back(p);
      continue;
    }
    const store::SlurmTask& task = it->second;
    if (launch::interpret_state(task.state).phase == launch::TaskPhase::kEnded) {
      to_submit.push_back(p);
      continue;
    }
    const auto now = known.find(task.slurm_job_id);
    const std::string state = now == known.end() ? "VANISHED" : now->second.state;
    const auto meaning = launch::interpret_state(state);
    if (meaning.phase != launch::TaskPhase::kEnded) {
      record(*p, task.slurm_job_id, state, now->second.reason);
      const auto log = dir_ / ("job-" + std::to_string(p->index) + ".log");
      watched_.push_back({p, task.slurm_job_id, state, launch::LogTail(log, true), false, 0});
      continue;
    }
    merge(*p, task.slurm_job_id, state);
    record(*p, task.slurm_job_id, state, now == known.end() ? meaning.why : now->second.reason);
    std::cout << "[" << p->index << "/" << sweep_.plan.size() << "] "
              << (finished(*p) ? "finished" : "ended") << " earlier as Slurm task "
              << task.slurm_job_id << " (" << state << ")"
              << (finished(*p) ? "" : "; submitting it again") << std::endl;
    if (!finished(*p)) to_submit.push_back(p);
  }
  return to_submit;
}

void SlurmDriver::submit(const std::vector<const PlannedJob*>& jobs) {
  launch::ArrayRequest request;
  request.sweep_dir = dir_;
  request.job_file = dir_ / "plan.json";
  request.executable = std::filesystem::read_symlink("/proc/self/exe");
  request.workdir = std::filesystem::current_path();
  request.job_name =
      sweep_.options.job_name.empty() ? "attnlab-" + sweep_.name : sweep_.options.job_name;
  request.options = sweep_.options;
  request.cpus_per_task = sweep_.options.cpus_per_task;
  for (const auto* p : jobs) {
    request.task_ids.push_back(p->index);
    if (sweep_.options.cpus_per_task == 0) {
      request.cpus_per_task = std::max(request.cpus_per_task, std::max(1, p->threads));
    }
  }
  const auto script = dir_ / "slurm" / ("array-" + launch::array_spec(request.task_ids, 0) + ".sh");
  std::filesystem::create_directories(script.parent_path());
  base::write_file_atomically(script, launch::batch_script(request));
  // Where a task's log stops before this submission: the rest is new.
  std::vector<launch::LogTail> logs;
  for (const auto* p : jobs)
    logs.emplace_back(dir_ / ("job-" + std::to_string(p->index) + ".log"), true);
  std::string array;
  try {
    array = launch::submit_array(launch::sbatch_arguments(request), script);
  } catch (const std::runtime_error& e) {
    throw UsageError(std::string(e.what()) + " (script: " + script.string() + ")");
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    const std::string task_id = array + "_" + std::to_string(jobs[i]->index);
    record(*jobs[i], task_id, "PENDING", "submitted");
    watched_.push_back({jobs[i], task_id, "PENDING", logs[i], false, 0});
  }
  std::cout << "submitted Slurm array " << array << ": tasks "
            << launch::array_spec(request.task_ids, sweep_.options.array_parallelism) << ", "
            << request.cpus_per_task << " CPU(s) and " << sweep_.options.time << " each; script "
            << script.string() << std::endl;
}

bool SlurmDriver::wait() {
  SweepProgress progress(static_cast<int>(sweep_.plan.size()), static_cast<int>(watched_.size()),
                         globals_.verbosity < 0);
  int query_failures = 0;
  while (!watched_.empty()) {
    if (sweep_.stop_requested && sweep_.stop_requested()) {
      progress.close();
      throw RunFailed("stopped waiting for sweep " + sweep_.sweep_id +
                      "; its Slurm tasks go on (scancel " + array_of(watched_.front().task_id) +
                      " stops them). Collect the results with `attnlab sweep --resume " +
                      sweep_.sweep_id + "`");
    }
    std::set<std::string> arrays;
    for (const auto& w : watched_)
      arrays.insert(array_of(w.task_id));
    std::string error;
    const auto known = launch::query_tasks({arrays.begin(), arrays.end()}, &error);
    if (!known) {
      if (++query_failures >= kQueryFailures) {
        progress.close();
        throw RunFailed("lost contact with Slurm (" + error + "); the tasks may still run. " +
                        "Collect them later with `attnlab sweep --resume " + sweep_.sweep_id + "`");
      }
    } else {
      query_failures = 0;
      int pending = 0;
      for (auto w = watched_.begin(); w != watched_.end();) {
        const PlannedJob& job = *w->job;
        w->log.read([&](const std::string& line) { progress.output(job.index, line); });
        const auto it = known->find(w->task_id);
        // A task Slurm does not know: one cancelled while still pending
        // leaves no record, and finished ones are forgotten after MinJobAge.
        if (it == known->end() && ++w->absent < 2) {
          ++w;
          continue;
        }
        const std::string state = it == known->end() ? "VANISHED" : it->second.state;
        const auto meaning = launch::interpret_state(state);
        if (state != w->state) {
          record(job, w->task_id, state, it == known->end() ? meaning.why : it->second.reason);
          w->state = state;
        }
        if (meaning.phase != launch::TaskPhase::kPending && !w->started) {
          progress.started(job.index, describe(job.overrides) + " (Slurm task " + w->task_id + ")");
          w->started = true;
        }
        if (meaning.phase != launch::TaskPhase::kEnded) {
          pending += meaning.phase == launch::TaskPhase::kPending;
          ++w;
          continue;
        }
        merge(job, w->task_id, state);
        w->log.read([&](const std::string& line) { progress.output(job.index, line); });
        const bool ok = finished(job);
        progress.ended(job.index, ok, ok ? "" : failure(job, w->task_id, state));
        w = watched_.erase(w);
      }
      progress.set_pending(pending);
    }
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration<double>(sweep_.options.poll_seconds);
    while (!watched_.empty() && std::chrono::steady_clock::now() < until &&
           !(sweep_.stop_requested && sweep_.stop_requested())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  progress.close();
  return progress.failed() == 0;
}

SlurmResult SlurmDriver::run() {
  write_job_file();
  const auto to_submit = collect();
  if (!to_submit.empty()) submit(to_submit);
  SlurmResult result;
  if (!sweep_.wait) {
    if (!watched_.empty()) {
      std::cout << "not waiting (--no-wait): follow the tasks with `squeue -r -j "
                << array_of(watched_.back().task_id) << "`; collect the results with "
                << "`attnlab sweep --resume " << sweep_.sweep_id << "`" << std::endl;
    }
    result.waited = watched_.empty();
    return result;
  }
  result.waited = true;
  result.all_finished = wait();
  return result;
}

}  // namespace

store::ShardMerge merge_shard_and_folders(const GlobalOptions& globals, store::RunStore& store,
                                          const std::filesystem::path& shard,
                                          const std::optional<store::EndedRun>& ended) {
  store::ShardMerge merged = store::merge_shard(store, shard, ended);
  // The run folder (composed config, overrides) goes beside the main
  // database's runs; a checkpoint stays with the shard for a resumed task.
  std::error_code error;
  for (const auto& run : merged.runs) {
    if (run.action != store::MergeAction::kAdded && run.action != store::MergeAction::kUpdated) {
      continue;
    }
    const auto from = shard.parent_path() / "runs" / run.shard_run_id;
    const auto to = globals.results_dir() / "runs" / run.run_id;
    std::filesystem::create_directories(to, error);
    for (const char* name : {"config.yaml", "overrides.yaml"}) {
      std::filesystem::copy_file(from / name, to / name,
                                 std::filesystem::copy_options::overwrite_existing, error);
    }
  }
  return merged;
}

void merge_ended_shards(const GlobalOptions& globals, store::RunStore& store,
                        const std::string& sweep_id, const std::vector<PlannedJob>& plan) {
  const auto dir = std::filesystem::absolute(globals.results_dir() / "sweeps" / sweep_id);
  for (const auto& p : plan) {
    if (p.done_run_id.empty()) merge_job_shard(globals, store, dir, p, "", "");
  }
}

SlurmResult run_on_slurm(const GlobalOptions& globals, store::RunStore& store,
                         const SlurmSweep& sweep) {
  return SlurmDriver(globals, store, sweep).run();
}

}  // namespace attnlab::runner
