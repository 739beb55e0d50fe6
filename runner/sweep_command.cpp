// `attnlab sweep`: expand, validate every job up front and freeze the plan
// (each job's composed config) in the database, skip jobs whose config hash
// already has a finished run, run the rest as separate `attnlab run`
// processes (so a crash in one never takes the sweep down), then draw the
// report from the database. `--resume SWEEP_ID` runs a frozen plan again.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/errors.h"
#include "launch/local_pool.h"
#include "runner/common.h"
#include "store/run_store.h"
#include "train/environment.h"

namespace attnlab::runner {
namespace {

std::atomic<int> g_sweep_signal{0};
extern "C" void remember_sweep_signal(int signal) {
  g_sweep_signal = signal;
}

struct SweepOptions {
  std::vector<std::string> words;  // [EXPERIMENT] OVERRIDE...
  int jobs = 1;
  bool dry_run = false;
  std::string launcher = "local";
  std::string resume;  // a sweep id: run its frozen plan's unfinished jobs
  bool rerun_finished = false;
};

struct PlannedJob {
  int index = 0;  // 1-based, for messages
  std::vector<std::string> overrides;
  std::string hash;
  std::string config_yaml;
  int threads = 1;          // the job's `threads` setting (0 = one per core)
  std::string done_run_id;  // set when a finished run already has this hash
};

std::string describe(const std::vector<std::string>& overrides) {
  return overrides.empty() ? "(no overrides)" : config::join(overrides, " ");
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
    std::cout << "#" << p.index - 1 << " : " << config::join(p.overrides, " ") << "\n";
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

void sweep(const GlobalOptions& globals, const SweepOptions& options) {
  if (options.launcher != "local") {
    throw UsageError("--launcher " + options.launcher +
                     " is not available in this build; valid: local");
  }
  if (options.jobs < 1) throw UsageError("--jobs must be at least 1");
  if (!options.resume.empty() && !options.words.empty()) {
    throw UsageError(
        "--resume runs a recorded sweep's frozen plan; it takes no experiment or "
        "overrides");
  }
  std::string name, sweep_id;
  std::vector<PlannedJob> plan;
  std::unique_ptr<store::RunStore> store;
  if (options.resume.empty()) {
    const Expansion expansion = expand_words(globals, options.words);
    name = expansion.experiment.empty() ? "sweep" : expansion.experiment;
    const std::string experiment = experiment_text(globals, expansion.experiment);
    plan = plan_from_words(globals, expansion);
    if (options.dry_run) return print_plan(plan);
    store = open_results(globals);
    std::vector<store::PlannedJob> frozen;
    for (const auto& p : plan)
      frozen.push_back({json_strings(p.overrides), p.hash, p.config_yaml});
    sweep_id = store->begin_sweep(name, json_strings(options.words), frozen, train::code_version(),
                                  experiment);
  } else {
    store = open_results(globals);
    const auto found = store->find_sweep(options.resume);
    if (!found) {
      throw UsageError("no sweep '" + options.resume + "' in " + globals.db.string() +
                       " (list them with `attnlab ls sweeps`)");
    }
    sweep_id = found->sweep_id;
    name = found->name;
    plan = plan_of_sweep(*store, sweep_id);
    if (options.dry_run) return print_plan(plan);
    store->reopen_sweep(sweep_id);
  }
  store->reap_vanished_runs();
  int to_run = 0;
  for (auto& p : plan) {
    if (!options.rerun_finished) {
      if (auto done = store->finished_run_with_hash(p.hash)) p.done_run_id = *done;
    }
    to_run += p.done_run_id.empty() ? 1 : 0;
  }
  warn_about_oversubscription(plan, options.jobs);
  const auto log_dir = globals.results_dir() / "sweeps" / sweep_id;
  std::filesystem::create_directories(log_dir);
  const int total = static_cast<int>(plan.size());
  const bool quiet = globals.verbosity < 0;
  std::cout << "sweep " << sweep_id << ": " << total << " job(s), " << to_run << " to run, "
            << total - to_run << " already finished; " << options.jobs << " at a time; logs in "
            << log_dir.string() << std::endl;

  std::vector<launch::ProcessJob> to_launch;
  for (const auto& p : plan) {
    if (!p.done_run_id.empty()) {
      std::cout << "[" << p.index << "/" << total << "] " << describe(p.overrides)
                << ": already finished as run " << p.done_run_id << ", skipped" << std::endl;
      continue;
    }
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

  std::signal(SIGINT, remember_sweep_signal);
  std::signal(SIGTERM, remember_sweep_signal);
  const auto prefix = [total](const launch::ProcessJob& job) {
    return "[" + std::to_string(job.index) + "/" + std::to_string(total) + "] ";
  };
  const auto overrides_of = [&plan](const launch::ProcessJob& job) {
    return describe(plan[static_cast<size_t>(job.index - 1)].overrides);
  };
  const auto started = std::chrono::steady_clock::now();
  const auto seconds_since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  int started_jobs = 0, ended = 0, failed = 0;
  const int launched = static_cast<int>(to_launch.size());
  // Counts, elapsed time and an estimate of what is left. On a terminal it
  // is a bar redrawn under the scrolling job output; otherwise a plain line
  // after each job ends.
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  const auto progress = [&] {
    const double elapsed = seconds_since_start();
    std::string text = std::to_string(ended) + "/" + std::to_string(launched) + " done, " +
                       std::to_string(failed) + " failed, " + std::to_string(started_jobs - ended) +
                       " running, " + std::to_string(static_cast<int>(elapsed)) + " s";
    if (ended > 0 && ended < launched) {
      text += ", about " + std::to_string(static_cast<int>(elapsed / ended * (launched - ended))) +
              " s left";
    }
    return text;
  };
  const auto bar = [&] {
    if (!terminal) return;
    constexpr int kWidth = 24;
    const int filled = launched > 0 ? kWidth * ended / launched : kWidth;
    std::cout << "\r\033[K[" << std::string(static_cast<size_t>(filled), '#')
              << std::string(static_cast<size_t>(kWidth - filled), '.') << "] " << progress()
              << std::flush;
  };
  // Every other line first erases the bar, then the bar comes back.
  const auto say = [&](const std::string& line) {
    if (terminal) std::cout << "\r\033[K";
    std::cout << line << std::endl;
    bar();
  };
  launch::PoolCallbacks callbacks;
  callbacks.on_start = [&](const launch::ProcessJob& job) {
    ++started_jobs;
    say(prefix(job) + "start " + overrides_of(job));
  };
  callbacks.on_line = [&](const launch::ProcessJob& job, const std::string& line) {
    if (!quiet) say(prefix(job) + line);
  };
  callbacks.on_finish = [&](const launch::ProcessJob& job, const launch::ProcessOutcome& outcome) {
    ++ended;
    if (!outcome.ok) {
      ++failed;
      // A job killed by a signal could not record why; its run (if it had
      // started one) is marked interrupted with how it ended.
      store->reap_vanished_runs(outcome.pid, outcome.status);
      say(prefix(job) + "FAILED " + overrides_of(job) + " (" + outcome.status +
          "); log: " + job.log.string());
    }
    if (terminal) {
      bar();
    } else {
      std::cout << "progress: " << progress() << std::endl;
    }
  };
  callbacks.stop_requested = [] { return g_sweep_signal != 0; };
  launch::run_local(to_launch, options.jobs, callbacks);
  if (terminal) std::cout << "\r\033[K" << progress() << std::endl;
  const double seconds = seconds_since_start();
  const bool interrupted = g_sweep_signal != 0;
  store->finish_sweep(sweep_id, failed == 0 && !interrupted);

  print_report(*store, sweep_id, "reports/" + name);
  int finished = 0;
  for (const auto& run : store->sweep_runs(sweep_id))
    finished += run.status == "finished";
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
                    " job(s) failed; `attnlab sweep --resume " + sweep_id + "` retries only those");
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
  cmd->add_option("--jobs,-j", options->jobs, "jobs run at once (each one process)")
      ->capture_default_str();
  cmd->add_option("--launcher", options->launcher, "where jobs run: local")->capture_default_str();
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
                  "Jobs are the Cartesian product of the swept keys in the order they first "
                  "appear,\nthe last varying fastest; the command line replaces an "
                  "experiment's sweep for a key.\nA job whose composed config already has a "
                  "finished run is skipped, so rerunning a\nsweep resumes it. The report goes "
                  "to reports/EXPERIMENT/ (reports/sweep/ without one).\nExit codes: 0 all jobs "
                  "finished, 1 a job failed, 2 bad config or usage.\n\n") +
      kOverrideGrammar);
  cmd->callback([&globals, options] { sweep(globals, *options); });
}

}  // namespace attnlab::runner
