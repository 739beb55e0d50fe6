// `attnlab sweep`: expand, validate every job up front, skip jobs whose config
// hash already has a completed run, run the rest as separate `attnlab run`
// processes (so a crash in one never takes the sweep down), then draw the
// report from the database.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>

#include "config/errors.h"
#include "launch/local_pool.h"
#include "report/length_figure.h"
#include "runner/common.h"
#include "store/run_store.h"

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
};

struct PlannedJob {
  int index = 0;
  std::vector<std::string> overrides;
  Job job;
  std::string done_run_id;  // set when a completed run already has this hash
};

std::string describe(const std::vector<std::string>& overrides) {
  return overrides.empty() ? "(no overrides)" : config::join(overrides, " ");
}

void sweep(const GlobalOptions& globals, const SweepOptions& options) {
  if (options.launcher != "local") {
    throw UsageError("--launcher " + options.launcher +
                     " is not available in this build; valid: local");
  }
  if (options.jobs < 1) throw UsageError("--jobs must be at least 1");
  const Expansion expansion = expand_words(globals, options.words);
  const std::string& experiment = expansion.experiment;
  std::vector<PlannedJob> plan;
  for (const auto& overrides : expansion.jobs) {
    PlannedJob p;
    p.index = static_cast<int>(plan.size()) + 1;
    p.overrides = overrides;
    p.job = compose_job(globals, experiment, overrides);
    plan.push_back(std::move(p));
  }
  if (options.dry_run) {
    for (const auto& p : plan)
      std::cout << "#" << p.index - 1 << " : " << config::join(p.overrides, " ") << "\n";
    return;
  }

  store::RunStore store(globals.db, store::OpenMode::kReadWrite);
  int to_run = 0;
  for (auto& p : plan) {
    if (auto done = store.completed_run_with_hash(p.job.hash)) p.done_run_id = *done;
    to_run += p.done_run_id.empty() ? 1 : 0;
  }
  const std::string name = experiment.empty() ? "sweep" : experiment;
  std::vector<store::PlannedJob> frozen;
  for (const auto& p : plan) {
    frozen.push_back({json_strings(p.overrides), p.job.hash});
  }
  const std::string sweep_id = store.begin_sweep(name, json_strings(options.words), frozen);
  const auto log_dir = globals.results_dir() / "sweeps" / sweep_id;
  std::filesystem::create_directories(log_dir);
  const int total = static_cast<int>(plan.size());
  const bool quiet = globals.verbosity < 0;
  std::cout << "sweep " << sweep_id << ": " << total << " job(s), " << to_run << " to run, "
            << total - to_run << " already completed; " << options.jobs << " at a time; logs in "
            << log_dir.string() << std::endl;

  std::vector<launch::ProcessJob> to_launch;
  for (const auto& p : plan) {
    if (!p.done_run_id.empty()) {
      std::cout << "[" << p.index << "/" << total << "] " << describe(p.overrides)
                << ": already completed as run " << p.done_run_id << ", skipped" << std::endl;
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
                sweep_id};
    if (!experiment.empty()) job.argv.insert(job.argv.end(), {"--experiment", experiment});
    job.argv.push_back("--");
    job.argv.insert(job.argv.end(), p.overrides.begin(), p.overrides.end());
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
  launch::PoolCallbacks callbacks;
  callbacks.on_start = [&](const launch::ProcessJob& job) {
    std::cout << prefix(job) << "start " << overrides_of(job) << std::endl;
  };
  callbacks.on_line = [&](const launch::ProcessJob& job, const std::string& line) {
    if (!quiet) std::cout << prefix(job) << line << std::endl;
  };
  int failed = 0;
  callbacks.on_finish = [&](const launch::ProcessJob& job, const launch::ProcessOutcome& outcome) {
    if (outcome.ok) return;
    ++failed;
    std::cout << prefix(job) << "FAILED " << overrides_of(job) << " (" << outcome.status
              << "); log: " << job.log.string() << std::endl;
  };
  callbacks.stop_requested = [] { return g_sweep_signal != 0; };
  const auto started = std::chrono::steady_clock::now();
  launch::run_local(to_launch, options.jobs, callbacks);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool interrupted = g_sweep_signal != 0;
  store.finish_sweep(sweep_id, failed == 0 && !interrupted);

  const auto summary = report::sweep_summary(store, sweep_id);
  if (!summary.empty()) {
    const auto page = report::write_sweep_report(store, sweep_id, summary, "reports/" + name);
    std::cout << "\n"
              << report::summary_table(summary) << "\nreport: " << page.string()
              << " (figure: " << (page.parent_path() / "accuracy_vs_length.png").string() << ")\n";
  }
  int completed = 0;
  for (const auto& run : store.sweep_runs(sweep_id))
    completed += run.status == "completed";
  std::cout << "sweep " << sweep_id << " finished in " << static_cast<int>(seconds)
            << " s: " << completed << " of " << total << " job(s) completed" << std::endl;
  if (interrupted) throw RunFailed("sweep " + sweep_id + " interrupted by signal");
  if (failed > 0) {
    throw RunFailed("sweep " + sweep_id + ": " + std::to_string(failed) +
                    " job(s) failed; rerun the same command to retry only those");
  }
}

}  // namespace

void add_sweep_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<SweepOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Expand a sweep, run every job not yet completed, and draw its report.");
  cmd->add_option("words", options->words,
                  "[EXPERIMENT] OVERRIDE...; a sweep value is a,b,c or choice(a,b) or "
                  "range(start,stop[,step])");
  cmd->add_option("--jobs,-j", options->jobs, "jobs run at once (each one process)")
      ->capture_default_str();
  cmd->add_option("--launcher", options->launcher, "where jobs run: local")->capture_default_str();
  cmd->add_flag("--dry-run", options->dry_run, "print one line per job and train nothing");
  cmd->footer(
      std::string("Examples:\n"
                  "  attnlab sweep default                       # the shipped experiment\n"
                  "  attnlab sweep attention=none,dot,general,additive train.steps=500\n"
                  "  attnlab sweep 'attention=glob(*,exclude=none)' "
                  "'model.hidden_size=range(32,129,32)' --dry-run\n"
                  "  attnlab sweep default seed=1,2,3 --jobs 2\n"
                  "Jobs are the Cartesian product of the swept keys in the order they first "
                  "appear,\nthe last varying fastest; the command line replaces an "
                  "experiment's sweep for a key.\nA job whose composed config already has a "
                  "completed run is skipped, so rerunning a\nsweep resumes it. The report goes "
                  "to reports/EXPERIMENT/ (reports/sweep/ without one).\nExit codes: 0 all jobs "
                  "completed, 1 a job failed, 2 bad config or usage.\n\n") +
      kOverrideGrammar);
  cmd->callback([&globals, options] { sweep(globals, *options); });
}

}  // namespace attnlab::runner
