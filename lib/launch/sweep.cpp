#include "launch/sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace attnlab::launch {
namespace {

// The sweep folder's driver.lock, held (flock) while one process drives the
// sweep, so that a second `--resume` of it is refused instead of running
// every job again. The kernel releases it when the driver dies.
class DriverLock {
 public:
  DriverLock(const std::filesystem::path& dir, const std::string& sweep_id) {
    const auto file = dir / "driver.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;  // a folder we cannot write fails later, with its own message
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char pid[32] = {0};
      const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
      ::close(fd_);
      throw LaunchRefused("sweep " + sweep_id + " is being run by another attnlab (pid " +
                          (n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown") + ", " +
                          file.string() +
                          "); wait for it to end, or stop it, before resuming the sweep");
    }
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
  }
  ~DriverLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DriverLock(const DriverLock&) = delete;
  DriverLock& operator=(const DriverLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace

Sweep::Sweep(store::RunStore& store, const SweepSite& site, std::string id, std::string name,
             std::vector<std::string> words, std::string experiment_yaml,
             std::vector<store::PlannedJob> plan)
    : plan_(std::move(plan)) {
  context_.store = &store;
  context_.sweep_id = std::move(id);
  context_.name = std::move(name);
  context_.words = std::move(words);
  context_.git_commit = site.code_version;
  context_.experiment_yaml = std::move(experiment_yaml);
  context_.db = site.db;
  context_.config_dir = site.config_dir;
  context_.results_dir = site.results_dir;
  context_.dir = site.results_dir / "sweeps" / context_.sweep_id;
}

Sweep Sweep::begin(store::RunStore& store, const SweepSite& site, const NewSweep& sweep) {
  const std::string id = store.begin_sweep(sweep.name, store::json_strings(sweep.words), sweep.plan,
                                           site.code_version, sweep.experiment_yaml);
  return Sweep(store, site, id, sweep.name, sweep.words, sweep.experiment_yaml, sweep.plan);
}

Sweep Sweep::open(store::RunStore& store, const SweepSite& site, const std::string& id) {
  std::optional<store::SweepRecord> record = store.find_sweep(id);
  if (!record) {
    throw std::invalid_argument("no sweep '" + id + "' in " + site.db.string() +
                                " (list them with `attnlab ls sweeps`)");
  }
  std::vector<store::PlannedJob> plan = store.sweep_plan(record->sweep_id);
  for (const auto& job : plan) {
    if (job.config_yaml.empty()) {
      throw std::invalid_argument("sweep " + record->sweep_id +
                                  " was planned by an older attnlab without frozen configs; "
                                  "rerun its command instead of --resume");
    }
  }
  // The job file keeps the command line the sweep was planned with.
  Sweep sweep(store, site, record->sweep_id, record->name,
              nlohmann::json::parse(record->overrides_json).get<std::vector<std::string>>(),
              store.sweep_experiment(record->sweep_id), std::move(plan));
  sweep.recorded_ = std::move(record);
  return sweep;
}

std::vector<const store::PlannedJob*> Sweep::unfinished(const Launcher& launcher,
                                                        bool rerun_finished, SweepEvents& events) {
  std::vector<const store::PlannedJob*> to_run;
  std::vector<std::string> skipped;
  const std::string total = std::to_string(plan_.size());
  for (const auto& job : plan_) {
    const auto done =
        rerun_finished ? std::nullopt : context_.store->finished_run_with_hash(job.config_hash);
    if (!done) {
      to_run.push_back(&job);
      continue;
    }
    skipped.push_back("[" + std::to_string(job.index) + "/" + total + "] " +
                      describe_overrides(job) + ": already finished as run " + *done + ", skipped");
  }
  events.note("sweep " + id() + ": " + total + " job(s), " + std::to_string(to_run.size()) +
              " to run, " + std::to_string(skipped.size()) + " already finished; " +
              launcher.describe() + "; logs in " + context_.dir.string());
  for (const auto& line : skipped)
    events.note(line);
  return to_run;
}

SweepOutcome Sweep::run(Launcher& launcher, const std::string& launcher_name, bool rerun_finished,
                        SweepEvents& events) {
  context_.plan = &plan_;
  store::RunStore& store = *context_.store;
  std::filesystem::create_directories(context_.dir);
  const DriverLock lock(context_.dir, id());
  if (recorded_) store.reopen_sweep(id());
  store.set_sweep_launcher(id(), launcher_name, launcher.options_yaml());
  store.reap_vanished_runs();
  launcher.prepare(context_, events);
  const auto to_run = unfinished(launcher, rerun_finished, events);

  const auto started = std::chrono::steady_clock::now();
  LaunchResult launched;
  try {
    launched = launcher.launch(context_, to_run, events);
  } catch (const LaunchRefused&) {
    store.finish_sweep(id(), false);  // nothing was submitted
    throw;
  }
  SweepOutcome outcome;
  outcome.waited = launched.waited;
  if (!launched.waited) return outcome;  // the jobs go on in the cluster's queue
  outcome.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  outcome.interrupted = events.stop_requested();
  store.finish_sweep(id(), launched.all_finished && !outcome.interrupted);
  outcome.total = static_cast<int>(plan_.size());
  for (const auto& job : plan_)
    outcome.finished += store.finished_run_with_hash(job.config_hash).has_value() ? 1 : 0;
  return outcome;
}

}  // namespace attnlab::launch
