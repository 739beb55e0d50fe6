// `attnlab sweep`: expand, validate every job up front and freeze the plan
// (each job's composed config) in the database, skip jobs whose config hash
// already has a finished run, run the rest as separate `attnlab run`
// processes (so a crash in one never takes the sweep down) or as a Slurm
// array (sweep_slurm.cpp), then draw the report from the database.
// `--resume SWEEP_ID` runs a frozen plan again.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "base/files.h"
#include "base/text.h"
#include "launch/local_pool.h"
#include "runner/sweep.h"
#include "store/run_store.h"
#include "train/environment.h"
#include "train/stored_run.h"
#include "train/trainer.h"

namespace attnlab::runner {

std::string describe(const std::vector<std::string>& overrides) {
  return overrides.empty() ? "(no overrides)" : base::join(overrides, " ");
}

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

// configs/launcher/slurm.yaml (or what a resumed sweep used), then the
// command line's launcher.KEY=VALUE words and --jobs.
launch::SlurmOptions slurm_options(const GlobalOptions& globals, const std::string& stored_yaml,
                                   const LauncherWords& words, const SweepOptions& options) {
  try {
    launch::SlurmOptions slurm;
    const auto file = globals.config_dir / "launcher" / "slurm.yaml";
    std::string text;
    if (!stored_yaml.empty()) {
      slurm = launch::parse_slurm_options(stored_yaml, "the sweep's stored launcher options");
    } else if (base::read_file(file, &text)) {
      slurm = launch::parse_slurm_options(text, file.string());
    }
    for (const auto& [key, value] : words.options)
      launch::apply_slurm_override(&slurm, key, value);
    if (options.jobs_given) slurm.array_parallelism = options.jobs;
    return slurm;
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// A new plan from the command line, composed and checked before anything runs.
std::vector<PlannedJob> plan_from_words(const GlobalOptions& globals, const Expansion& expansion) {
  std::vector<PlannedJob> plan;
  for (const auto& overrides : expansion.jobs) {
    const Job job = compose_job(globals, expansion.experiment, overrides);
    plan.push_back({static_cast<int>(plan.size()) + 1, overrides, job.hash,
                    config::to_yaml(job.settings), job.settings.threads, ""});
  }
  return plan;
}

// A recorded sweep's frozen plan.
std::vector<PlannedJob> plan_of_sweep(store::RunStore& store, const std::string& sweep_id) {
  std::vector<PlannedJob> plan;
  for (const auto& frozen : store.sweep_plan(sweep_id)) {
    if (frozen.config_yaml.empty()) {
      throw UsageError("sweep " + sweep_id +
                       " was planned by an older attnlab without frozen configs; rerun its "
                       "command instead of --resume");
    }
    const int index = static_cast<int>(plan.size()) + 1;
    // Parsed once here, so that a damaged frozen config stops the sweep
    // before anything runs.
    const Job job = job_from_yaml(frozen.config_yaml,
                                  "sweep " + sweep_id + " job " + std::to_string(index - 1));
    plan.push_back({index,
                    nlohmann::json::parse(frozen.overrides_json).get<std::vector<std::string>>(),
                    frozen.config_hash, frozen.config_yaml, job.settings.threads, ""});
  }
  return plan;
}

void print_plan(const std::vector<PlannedJob>& plan) {
  for (const auto& p : plan)
    std::cout << "#" << p.index - 1 << " : " << base::join(p.overrides, " ") << "\n";
}

void warn_about_oversubscription(const std::vector<PlannedJob>& plan, int parallel) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = 1;
  for (const auto& p : plan)
    threads = std::max(threads, p.threads > 0 ? p.threads : cores);
  const int at_once = std::min(parallel, static_cast<int>(plan.size()));
  if (at_once * threads > cores) {
    std::cerr << "warning: " << at_once << " job(s) at once x " << threads
              << " thread(s) each = " << at_once * threads << " threads on " << cores
              << " cores; they will slow each other down (lower --jobs or threads)" << std::endl;
  }
}

// Measures, before any job trains, the matrix-product peak of each device,
// thread count and precision the unfinished jobs will use, unless the
// database has it for this host (train::device_peak_gflops): jobs measuring
// it themselves while others train would see a fraction of it. A job whose
// device this machine lacks is left to fail with its own message.
void measure_device_peaks(const std::map<int, config::RunSettings>& jobs, store::RunStore& store) {
  std::set<std::tuple<std::string, int, std::string>> measured;
  for (const auto& [index, settings] : jobs) {
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
}

// Runs the unfinished jobs as child processes, `parallel` at a time.
// Returns true when every one of them exited successfully.
bool run_locally(const GlobalOptions& globals, const std::vector<PlannedJob>& plan,
                 const std::string& sweep_id, int parallel, store::RunStore& store) {
  const auto log_dir = globals.results_dir() / "sweeps" / sweep_id;
  std::vector<launch::ProcessJob> to_launch;
  std::map<int, config::RunSettings> settings_of;  // by job index, the unfinished jobs'
  for (const auto& p : plan) {
    if (!p.done_run_id.empty()) continue;
    settings_of[p.index] = job_from_yaml(p.config_yaml, "the plan").settings;
    launch::ProcessJob job;
    job.index = p.index;
    job.argv = {"/proc/self/exe",
                "--db",
                globals.db.string(),
                "--config-dir",
                globals.config_dir.string(),
                "run",
                "--sweep-id",
                sweep_id,
                "--job",
                std::to_string(p.index - 1)};
    job.log = log_dir / ("job-" + std::to_string(p.index) + ".log");
    to_launch.push_back(std::move(job));
  }
  measure_device_peaks(settings_of, store);
  // Longest first: jobs the fused engine does not cover train two to three
  // times slower, and started last they would finish alone on idle cores.
  std::stable_partition(to_launch.begin(), to_launch.end(), [&](const launch::ProcessJob& job) {
    return train::choose_engine(settings_of.at(job.index), "cpu") == "modules";
  });

  SweepProgress progress(static_cast<int>(plan.size()), static_cast<int>(to_launch.size()),
                         globals.verbosity < 0);
  const auto overrides_of = [&plan](const launch::ProcessJob& job) {
    return describe(plan[static_cast<size_t>(job.index - 1)].overrides);
  };
  launch::PoolCallbacks callbacks;
  callbacks.on_start = [&](const launch::ProcessJob& job) {
    progress.started(job.index, overrides_of(job));
  };
  callbacks.on_line = [&](const launch::ProcessJob& job, const std::string& line) {
    progress.output(job.index, line);
  };
  callbacks.on_finish = [&](const launch::ProcessJob& job, const launch::ProcessOutcome& outcome) {
    // A job killed by a signal could not record why; its run (if it had
    // started one) is marked interrupted with how it ended.
    if (!outcome.ok) store.reap_vanished_runs(outcome.pid, outcome.status);
    progress.ended(job.index, outcome.ok,
                   overrides_of(job) + " (" + outcome.status + "); log: " + job.log.string());
  };
  callbacks.stop_requested = [] { return g_sweep_signal != 0; };
  launch::run_local(to_launch, parallel, callbacks);
  progress.close();
  return progress.failed() == 0;
}

const char* const kLaunchers = "local, slurm";

void sweep(const GlobalOptions& globals, SweepOptions options) {
  const LauncherWords launcher_words = take_launcher_words(&options.words);
  if (!launcher_words.name.empty()) {
    if (!options.launcher.empty() && options.launcher != launcher_words.name) {
      throw UsageError("--launcher " + options.launcher + " and launcher=" + launcher_words.name +
                       " disagree; give one");
    }
    options.launcher = launcher_words.name;
  }
  if (options.jobs < 1) throw UsageError("--jobs must be at least 1");
  if (!options.resume.empty() && !options.words.empty()) {
    throw UsageError(
        "--resume runs a recorded sweep's frozen plan; it takes no experiment or "
        "overrides (launcher.KEY=VALUE options are allowed)");
  }
  std::string name, sweep_id, experiment, stored_launcher_yaml;
  std::vector<PlannedJob> plan;
  std::unique_ptr<store::RunStore> store;
  std::optional<store::SweepRecord> resumed;
  if (!options.resume.empty()) {
    store = open_results(globals);
    resumed = store->find_sweep(options.resume);
    if (!resumed) {
      throw UsageError("no sweep '" + options.resume + "' in " + globals.db.string() +
                       " (list them with `attnlab ls sweeps`)");
    }
    if (options.launcher.empty()) options.launcher = resumed->launcher;
    if (options.launcher == resumed->launcher) stored_launcher_yaml = resumed->launcher_yaml;
  }
  if (options.launcher.empty()) options.launcher = "local";
  if (options.launcher != "local" && options.launcher != "slurm") {
    throw UsageError("unknown launcher '" + options.launcher + "'; valid: " + kLaunchers);
  }
  const bool on_slurm = options.launcher == "slurm";
  if (!on_slurm && !launcher_words.options.empty()) {
    throw UsageError("launcher." + launcher_words.options.front().first +
                     " is an option of the Slurm launcher; add --launcher slurm");
  }
  if (!on_slurm && options.no_wait) {
    throw UsageError("--no-wait needs --launcher slurm (local jobs end with the sweep)");
  }
  launch::SlurmOptions slurm;
  if (on_slurm) slurm = slurm_options(globals, stored_launcher_yaml, launcher_words, options);

  if (!resumed) {
    const Expansion expansion = expand_words(globals, options.words);
    name = expansion.experiment.empty() ? "sweep" : expansion.experiment;
    experiment = experiment_text(globals, expansion.experiment);
    plan = plan_from_words(globals, expansion);
    if (options.dry_run) return print_plan(plan);
    store = open_results(globals);
    std::vector<store::PlannedJob> frozen;
    for (const auto& p : plan)
      frozen.push_back({store::json_strings(p.overrides), p.hash, p.config_yaml});
    sweep_id = store->begin_sweep(name, store::json_strings(options.words), frozen,
                                  train::code_version(), experiment);
  } else {
    sweep_id = resumed->sweep_id;
    name = resumed->name;
    experiment = store->sweep_experiment(sweep_id);
    plan = plan_of_sweep(*store, sweep_id);
    if (options.dry_run) return print_plan(plan);
    store->reopen_sweep(sweep_id);
  }
  store->set_sweep_launcher(sweep_id, options.launcher,
                            on_slurm ? launch::slurm_options_yaml(slurm) : "");
  store->reap_vanished_runs();
  if (on_slurm && resumed) merge_ended_shards(globals, *store, sweep_id, plan);
  int to_run = 0;
  for (auto& p : plan) {
    if (!options.rerun_finished) {
      if (auto done = store->finished_run_with_hash(p.hash)) p.done_run_id = *done;
    }
    to_run += p.done_run_id.empty() ? 1 : 0;
  }
  if (!on_slurm) warn_about_oversubscription(plan, options.jobs);
  const auto log_dir = globals.results_dir() / "sweeps" / sweep_id;
  std::filesystem::create_directories(log_dir);
  const int total = static_cast<int>(plan.size());
  std::cout << "sweep " << sweep_id << ": " << total << " job(s), " << to_run << " to run, "
            << total - to_run << " already finished; ";
  if (on_slurm) {
    std::cout << "through Slurm";
    if (slurm.array_parallelism > 0) std::cout << ", " << slurm.array_parallelism << " at a time";
  } else {
    std::cout << options.jobs << " at a time";
  }
  std::cout << "; logs in " << log_dir.string() << std::endl;
  for (const auto& p : plan) {
    if (!p.done_run_id.empty()) {
      std::cout << "[" << p.index << "/" << total << "] " << describe(p.overrides)
                << ": already finished as run " << p.done_run_id << ", skipped" << std::endl;
    }
  }

  std::signal(SIGINT, remember_sweep_signal);
  std::signal(SIGTERM, remember_sweep_signal);
  const auto started = std::chrono::steady_clock::now();
  bool all_finished = true;
  if (on_slurm) {
    SlurmSweep request{sweep_id,
                       name,
                       options.words,
                       train::code_version(),
                       experiment,
                       plan,
                       slurm,
                       !options.no_wait,
                       [] { return g_sweep_signal != 0; }};
    if (resumed) {
      // The job file keeps the command line the sweep was planned with.
      request.words =
          nlohmann::json::parse(resumed->overrides_json).get<std::vector<std::string>>();
    }
    SlurmResult result;
    try {
      result = run_on_slurm(globals, *store, request);
    } catch (const UsageError&) {
      store->finish_sweep(sweep_id, false);  // nothing was submitted
      throw;
    }
    if (!result.waited) return;  // the sweep goes on in Slurm's queue
    all_finished = result.all_finished;
  } else {
    all_finished = run_locally(globals, plan, sweep_id, options.jobs, *store);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool interrupted = g_sweep_signal != 0;
  store->finish_sweep(sweep_id, all_finished && !interrupted);

  const PrintedReport printed = print_report(*store, sweep_id, "reports/" + name);
  int finished = 0, failed = 0;
  for (const auto& p : plan) {
    const bool done = store->finished_run_with_hash(p.hash).has_value();
    finished += done;
    failed += !done;
  }
  std::cout << "sweep " << sweep_id << " ended in " << static_cast<int>(seconds)
            << " s: " << finished << " of " << total << " job(s) finished" << std::endl;
  if (interrupted) {
    throw RunFailed("sweep " + sweep_id +
                    " interrupted by signal; resume it with `attnlab sweep "
                    "--resume " +
                    sweep_id + "`");
  }
  if (failed > 0) {
    throw RunFailed("sweep " + sweep_id + ": " + std::to_string(failed) +
                    " job(s) did not finish; `attnlab sweep --resume " + sweep_id +
                    "` retries only those");
  }
  if (printed.failed_claims > 0) {
    throw RunFailed("sweep " + sweep_id + ": " + std::to_string(printed.failed_claims) +
                    " claim(s) of the experiment fail (the report says which and by how much)");
  }
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
      std::string(
          "Examples:\n"
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
          "to reports/EXPERIMENT/ (reports/sweep/ without one).\nWith --launcher slurm each "
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
