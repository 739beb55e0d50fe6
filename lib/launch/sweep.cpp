#include "launch/sweep.h"

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "store/driver_lease.h"

namespace attnlab::launch {
namespace {

// The lease that makes this process the sweep's one driver.
std::unique_ptr<store::DriverLease> take_lease(const SweepContext& sweep) {
  try {
    return std::make_unique<store::DriverLease>(sweep.db, sweep.sweep_id);
  } catch (const store::DriverLeaseHeld& e) {
    throw LaunchRefused(e.what());
  }
}

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
  const auto lease = take_lease(context_);
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
