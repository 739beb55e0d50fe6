// The local launcher: a sweep's jobs as child processes of this one (the
// pool of local_pool.h), `--jobs` at a time, each logging to job-i.log. A
// child that crashes ends only itself; one killed by a signal could not
// record why, so its run is marked interrupted with how it ended.
#include <algorithm>
#include <thread>

#include "launch/child.h"
#include "launch/launcher.h"
#include "launch/local_pool.h"

namespace attnlab::launch {
namespace {

class LocalLauncher : public Launcher {
 public:
  explicit LocalLauncher(const LauncherSettings& settings) : settings_(settings) {
    if (!settings.options.empty()) {
      throw std::invalid_argument("launcher." + settings.options.front().first +
                                  " is an option of the Slurm launcher; add --launcher slurm");
    }
    if (!settings.wait) {
      throw std::invalid_argument(
          "--no-wait needs --launcher slurm (local jobs end with the sweep)");
    }
  }

  std::string describe() const override {
    return std::to_string(settings_.parallel) + " at a time";
  }

  void prepare(const SweepContext& sweep, SweepEvents& events) override;
  LaunchResult launch(const SweepContext& sweep, const std::vector<const store::PlannedJob*>& jobs,
                      SweepEvents& events) override;

 private:
  LauncherSettings settings_;
};

// Jobs at once times threads each beyond the cores slow each other down.
void LocalLauncher::prepare(const SweepContext& sweep, SweepEvents& events) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = 1;
  for (const auto& job : *sweep.plan) {
    const int wanted = settings_of(job).threads;
    threads = std::max(threads, wanted > 0 ? wanted : cores);
  }
  const int at_once = std::min(settings_.parallel, static_cast<int>(sweep.plan->size()));
  if (at_once * threads > cores) {
    events.warn(std::to_string(at_once) + " job(s) at once x " + std::to_string(threads) +
                " thread(s) each = " + std::to_string(at_once * threads) + " threads on " +
                std::to_string(cores) +
                " cores; they will slow each other down (lower --jobs or threads)");
  }
}

LaunchResult LocalLauncher::launch(const SweepContext& sweep,
                                   const std::vector<const store::PlannedJob*>& jobs,
                                   SweepEvents& events) {
  std::vector<const store::PlannedJob*> ordered = jobs;
  if (settings_.prepare_local) settings_.prepare_local(&ordered);
  std::vector<ChildProcess> children;
  for (const auto* job : ordered) {
    ChildCommand command;
    command.executable = "/proc/self/exe";
    command.db = {sweep.db.string(), ""};
    command.config_dir = sweep.config_dir;
    command.sweep_id = sweep.sweep_id;
    command.job = {std::to_string(job->index - 1), ""};
    children.push_back({job->index, child_argv(command), sweep.log_of(*job)});
  }
  const auto overrides_of = [&sweep](int index) {
    return describe_overrides((*sweep.plan)[static_cast<size_t>(index - 1)]);
  };
  events.jobs_begin(static_cast<int>(sweep.plan->size()), static_cast<int>(children.size()));
  int failed = 0;
  PoolCallbacks callbacks;
  callbacks.on_start = [&](const ChildProcess& child) {
    events.job_started(child.index, overrides_of(child.index));
  };
  callbacks.on_line = [&](const ChildProcess& child, const std::string& line) {
    events.job_output(child.index, line);
  };
  callbacks.on_finish = [&](const ChildProcess& child, const ProcessOutcome& outcome) {
    if (!outcome.ok) sweep.store->reap_vanished_runs(outcome.pid, outcome.status);
    failed += outcome.ok ? 0 : 1;
    events.job_ended(
        child.index, outcome.ok,
        overrides_of(child.index) + " (" + outcome.status + "); log: " + child.log.string());
  };
  callbacks.stop_requested = [&events] { return events.stop_requested(); };
  run_local(children, settings_.parallel, callbacks);
  events.jobs_end();
  return {true, failed == 0};
}

}  // namespace

std::unique_ptr<Launcher> make_local_launcher(const LauncherSettings& settings) {
  return std::make_unique<LocalLauncher>(settings);
}

}  // namespace attnlab::launch
