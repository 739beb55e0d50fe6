// `attnlab sweep`: parse the command line, compose and check every job up
// front (the plan), then hand it to launch::Sweep, which freezes the plan in
// the database, skips jobs whose config already has a finished run and runs
// the rest through a launcher (separate `attnlab run` processes, so a crash
// in one never takes the sweep down, or a Slurm array); print what it hears,
// then draw the report from the database. `--resume SWEEP_ID` runs a frozen
// plan again.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "base/text.h"
#include "launch/sweep.h"
#include "runner/common.h"
#include "runner/sweep_progress.h"
#include "store/run_store.h"
#include "train/environment.h"
#include "train/stored_run.h"
#include "train/trainer.h"

namespace attnlab::runner {
namespace {

std::atomic<int> g_sweep_signal{0};
extern "C" void remember_sweep_signal(int signal) {
  g_sweep_signal = signal;
}

struct SweepOptions {
  std::vector<std::string> words;  // [EXPERIMENT] OVERRIDE...
  int jobs = 1;
  bool jobs_given = false;
  bool dry_run = false;
  std::string launcher;  // "" = local, or the launcher a resumed sweep ran with
  std::string resume;    // a sweep id: run its frozen plan's unfinished jobs
  bool rerun_finished = false;
  bool no_wait = false;
};

// The launcher's words on a sweep's command line: `launcher=NAME` and
// `launcher.KEY=VALUE` (Hydra's hydra/launcher), taken out of `words`.
struct LauncherWords {
  std::string name;
  std::vector<std::pair<std::string, std::string>> options;
};

LauncherWords take_launcher_words(std::vector<std::string>* words) {
  LauncherWords found;
  std::vector<std::string> rest;
  for (const auto& w : *words) {
    const auto equals = w.find('=');
    const std::string key = w.substr(0, equals);
    if (key == "launcher" && equals != std::string::npos) {
      found.name = w.substr(equals + 1);
    } else if (key.rfind("launcher.", 0) == 0) {
      if (equals == std::string::npos) {
        throw UsageError("'" + w +
                         "': a launcher option needs a value, e.g. launcher.time=02:00:00");
      }
      found.options.emplace_back(key.substr(9), w.substr(equals + 1));
    } else {
      rest.push_back(w);
    }
  }
  *words = rest;
  return found;
}

// What a sweep says, printed: lines of its own, and its jobs' progress.
class PrintedEvents : public launch::SweepEvents {
 public:
  explicit PrintedEvents(bool quiet) : quiet_(quiet) {}

  void note(const std::string& line) override { std::cout << line << std::endl; }
  void warn(const std::string& line) override { std::cerr << "warning: " << line << std::endl; }
  void jobs_begin(int total, int launched) override { progress_.emplace(total, launched, quiet_); }
  void job_started(int index, const std::string& what) override { progress_->started(index, what); }
  void job_output(int index, const std::string& line) override { progress_->output(index, line); }
  void job_ended(int index, bool ok, const std::string& failure) override {
    progress_->ended(index, ok, failure);
  }
  void jobs_pending(int pending) override { progress_->set_pending(pending); }
  void jobs_end() override {
    if (progress_) progress_->close();
    progress_.reset();
  }
  bool stop_requested() override { return g_sweep_signal != 0; }

 private:
  bool quiet_;
  std::optional<SweepProgress> progress_;
};

// A new plan from the command line, composed and checked before anything runs.
std::vector<store::PlannedJob> plan_from_words(const GlobalOptions& globals,
                                               const Expansion& expansion) {
  std::vector<store::PlannedJob> plan;
  for (const auto& overrides : expansion.jobs) {
    const ComposedConfig job = compose_job(globals, expansion.experiment, overrides);
    plan.push_back(
        {static_cast<int>(plan.size()) + 1, overrides, job.hash, config::to_yaml(job.settings)});
  }
  return plan;
}

// A recorded plan's frozen configs are parsed before anything runs, so that
// a damaged one stops the sweep.
void check_frozen_plan(const launch::Sweep& sweep) {
  for (const auto& job : sweep.plan())
    job_from_yaml(job.config_yaml, "sweep " + sweep.id() + " job " + std::to_string(job.index - 1));
}

// One line per job; a job whose config already has a finished run in the
// database (which a dry run only reads, and only when it exists) is marked.
void print_plan(const GlobalOptions& globals, const std::vector<store::PlannedJob>& plan,
                store::RunStore* store) {
  int finished = 0;
  for (const auto& job : plan) {
    const auto done = store ? store->finished_run_with_hash(job.config_hash) : std::nullopt;
    std::cout << "#" << job.index - 1 << " : " << base::join(job.overrides, " ")
              << (done ? "  (finished: run " + *done + ", skipped)" : "") << "\n";
    finished += done ? 1 : 0;
  }
  if (store != nullptr) {
    std::cout << plan.size() << " job(s), " << finished << " already finished in "
              << globals.db.string() << "\n";
  }
}

void print_plan(const GlobalOptions& globals, const std::vector<store::PlannedJob>& plan) {
  if (!std::filesystem::exists(globals.db)) return print_plan(globals, plan, nullptr);
  store::RunStore store = open_results_read_only(globals);
  print_plan(globals, plan, &store);
}

// Before local jobs train: measures the matrix-product peak of each device,
// thread count and precision they will use, unless the database has it for
// this host (train::device_peak_gflops), since jobs measuring it themselves
// while others train would see a fraction of it; then puts the jobs the
// fused engine does not cover first, as they train two to three times
// slower and, started last, would finish alone on idle cores. A job whose
// device this machine lacks is left to fail with its own message.
void prepare_local_jobs(store::RunStore& store, std::vector<const store::PlannedJob*>* jobs) {
  std::map<int, config::RunSettings> by_index;  // each job's settings
  std::set<std::tuple<std::string, int, config::Precision>> measured;
  for (const auto* job : *jobs) {
    const config::RunSettings& settings = by_index[job->index] = launch::settings_of(*job);
    std::string device;
    try {
      device = train::resolve_device(settings.device);
    } catch (const std::invalid_argument&) {
      continue;
    }
    if (!measured.insert({device, settings.threads, settings.train.precision}).second) continue;
    train::device_peak_gflops(store, train::configure_environment(settings.threads, device),
                              settings.train.precision);
  }
  std::stable_partition(jobs->begin(), jobs->end(), [&](const store::PlannedJob* job) {
    return train::choose_engine(by_index.at(job->index), "cpu") == "modules";
  });
}

// The launcher the command line (or the resumed sweep) names, with its
// options: configs/launcher/NAME.yaml or what a resumed sweep used, then
// launcher.KEY=VALUE words and --jobs.
std::unique_ptr<launch::Launcher> make_launcher(const GlobalOptions& globals,
                                                const SweepOptions& options,
                                                const LauncherWords& words,
                                                const std::optional<launch::Sweep>& resumed,
                                                std::unique_ptr<store::RunStore>& store) {
  launch::LauncherSettings settings;
  settings.parallel = options.jobs;
  settings.parallel_given = options.jobs_given;
  settings.wait = !options.no_wait;
  settings.options = words.options;
  settings.options_file = globals.config_dir / "launcher" / (options.launcher + ".yaml");
  if (resumed && resumed->recorded()->launcher == options.launcher) {
    settings.stored_yaml = resumed->recorded()->launcher_yaml;
  }
  settings.prepare_local = [&store](std::vector<const store::PlannedJob*>* jobs) {
    prepare_local_jobs(*store, jobs);
  };
  try {
    return launch::launchers().at(options.launcher)(settings);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// The launcher named by --launcher or launcher=NAME, else a resumed sweep's,
// else local.
std::string launcher_name(const SweepOptions& options, const LauncherWords& words,
                          const std::optional<launch::Sweep>& resumed) {
  if (!words.name.empty() && !options.launcher.empty() && options.launcher != words.name) {
    throw UsageError("--launcher " + options.launcher + " and launcher=" + words.name +
                     " disagree; give one");
  }
  if (!words.name.empty()) return words.name;
  if (!options.launcher.empty()) return options.launcher;
  return resumed ? resumed->recorded()->launcher : "local";
}

// Prints how the sweep ended, and throws when a job did not finish, the
// sweep was interrupted or a claim of its experiment fails.
void end_sweep(const launch::Sweep& sweep, const launch::SweepOutcome& outcome,
               const PrintedReport& printed) {
  const std::string& id = sweep.id();
  std::cout << "sweep " << id << " ended in " << static_cast<int>(outcome.seconds)
            << " s: " << outcome.finished << " of " << outcome.total << " job(s) finished"
            << std::endl;
  if (outcome.interrupted) {
    throw RunFailed("sweep " + id +
                    " interrupted by signal; resume it with `attnlab sweep --resume " + id + "`");
  }
  if (outcome.finished < outcome.total) {
    throw RunFailed("sweep " + id + ": " + std::to_string(outcome.total - outcome.finished) +
                    " job(s) did not finish; `attnlab sweep --resume " + id +
                    "` retries only those");
  }
  if (printed.failed_claims > 0) {
    throw RunFailed("sweep " + id + ": " + std::to_string(printed.failed_claims) +
                    " claim(s) of the experiment fail (the report says which and by how much)");
  }
}

void sweep(const GlobalOptions& globals, SweepOptions options) {
  const LauncherWords launcher_words = take_launcher_words(&options.words);
  if (options.jobs < 1) throw UsageError("--jobs must be at least 1");
  if (!options.resume.empty() && !options.words.empty()) {
    throw UsageError(
        "--resume runs a recorded sweep's frozen plan; it takes no experiment or "
        "overrides (launcher.KEY=VALUE options are allowed)");
  }
  const launch::SweepSite site{globals.db, globals.config_dir, globals.results_dir(),
                               train::code_version()};
  std::unique_ptr<store::RunStore> store;
  std::optional<launch::Sweep> sweep;
  if (!options.resume.empty()) {
    store = open_results(globals);
    try {
      sweep.emplace(launch::Sweep::open(*store, site, options.resume));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  options.launcher = launcher_name(options, launcher_words, sweep);
  const auto launcher = make_launcher(globals, options, launcher_words, sweep, store);
  if (!sweep) {
    const Expansion expansion = expand_words(globals, options.words);
    launch::NewSweep planned{
        expansion.experiment.empty() ? "sweep" : config::experiment_name(expansion.experiment),
        options.words,
        {},
        experiment_text(globals, expansion.experiment)};
    planned.plan = plan_from_words(globals, expansion);
    if (options.dry_run) return print_plan(globals, planned.plan);
    store = open_results(globals);
    sweep.emplace(launch::Sweep::begin(*store, site, planned));
  } else {
    check_frozen_plan(*sweep);
    if (options.dry_run) return print_plan(globals, sweep->plan());
  }
  std::signal(SIGINT, remember_sweep_signal);
  std::signal(SIGTERM, remember_sweep_signal);
  // A line per job; what each job prints (its per-length tables) with -v,
  // and always in its log.
  PrintedEvents events(globals.verbosity < 1);
  launch::SweepOutcome outcome;
  try {
    outcome = sweep->run(*launcher, options.launcher, options.rerun_finished, events);
  } catch (const launch::LaunchRefused& e) {
    throw UsageError(e.what());
  } catch (const launch::LaunchLost& e) {
    throw RunFailed(e.what());
  }
  if (!outcome.waited) return;
  end_sweep(*sweep, outcome,
            print_report(*store, sweep->id(), report_folder(globals, *store, sweep->id())));
}

}  // namespace

void add_sweep_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Expand a sweep, run every job not yet finished, and draw its report.");
  cmd->add_option("words", options->words,
                  "[EXPERIMENT] OVERRIDE...; a sweep value is a,b,c or choice(a,b) or "
                  "range(start,stop[,step])");
  cmd->add_option("--jobs,-j", options->jobs,
                  "jobs run at once (each one process); with Slurm, at most this many array "
                  "tasks at once (launcher.array_parallelism)")
      ->capture_default_str()
      ->each([options](const std::string&) { options->jobs_given = true; });
  cmd->add_option("--launcher", options->launcher,
                  "where jobs run: local (default) or slurm (one job array; options in "
                  "configs/launcher/slurm.yaml, or launcher.KEY=VALUE); a resumed sweep keeps "
                  "its launcher");
  cmd->add_flag("--no-wait", options->no_wait,
                "with Slurm: submit and return; collect later with --resume SWEEP_ID");
  cmd->add_flag("--dry-run", options->dry_run, "print one line per job and train nothing");
  cmd->add_option("--resume", options->resume,
                  "run the unfinished jobs of this recorded sweep (its frozen plan)");
  cmd->add_flag("--rerun-finished", options->rerun_finished,
                "run jobs again even when a finished run has their config");
  cmd->footer(
      std::string("Examples:\n"
                  "  attnlab sweep length_generalization         # the default study (make run)\n"
                  "  attnlab sweep luong_scores                  # any file in experiments/\n"
                  "  attnlab sweep attention=none,dot,general,additive train.steps=500\n"
                  "  attnlab sweep 'attention=glob(*,exclude=none)' "
                  "'model.hidden_size=range(32,129,32)' --dry-run\n"
                  "  attnlab sweep length_generalization seed=1,2,3 --jobs 2\n"
                  "  attnlab sweep --resume length_generalization-20261124T070043Z\n"
                  "  attnlab sweep seed=1,2,3 --launcher slurm launcher.time=00:30:00 "
                  "launcher.partition=cpu\n"
                  "  attnlab sweep length_generalization --launcher slurm --no-wait\n"
                  "Jobs are the Cartesian product of the swept keys in the order they first "
                  "appear,\nthe last varying fastest; the command line replaces an "
                  "experiment's sweep for a key.\nA job whose composed config already has a "
                  "finished run is skipped, so rerunning a\nsweep resumes it. The report goes "
                  "to ROOT/reports/EXPERIMENT/ (ROOT/reports/SWEEP_ID/ without one;\nsee "
                  "--root).\nWith --launcher slurm each "
                  "array task writes a shard database in\nresults/sweeps/SWEEP_ID/shards/; they "
                  "are merged into --db as tasks end\n(or with `attnlab merge`). Launcher "
                  "options: partition, time, cpus_per_task,\nmem_per_task, gpus, "
                  "array_parallelism, sbatch_flags, poll_seconds, job_name.\nExit codes: 0 all "
                  "jobs finished (or submitted, with --no-wait) and no claim of the\nexperiment "
                  "fails (inconclusive ones are reported, not failed), 1 a job failed or a\nclaim "
                  "fails, 2 bad config or usage.\n\n") +
      kOverrideGrammar);
  cmd->callback([&globals, options] { sweep(globals, *options); });
}

}  // namespace attnlab::runner
