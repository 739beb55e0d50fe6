// `attnlab run`: one config, trained, evaluated and stored. This is also what
// a sweep launches, one process per job.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>

#include "base/files.h"
#include "launch/job_file.h"
#include "runner/common.h"
#include "store/run_store.h"
#include "train/stored_run.h"

namespace attnlab::runner {
namespace {

std::atomic<int> g_signal{0};

extern "C" void remember_signal(int signal) {
  g_signal = signal;
}

struct RunOptions {
  std::vector<std::string> overrides;
  std::string experiment;
  std::string sweep_id;
  int job_index = -1;    // with sweep_id or job_file: run that job of the sweep's frozen plan
  std::string job_file;  // a sweep's plan as a file (a Slurm task's shard has no plan yet)
};

// A job frozen in a sweep's plan.
ComposedConfig frozen_job(const RunOptions& options, store::RunStore& store,
                          std::vector<std::string>* overrides) {
  const auto plan = store.sweep_plan(options.sweep_id);
  if (options.job_index >= static_cast<int>(plan.size()) ||
      plan[static_cast<size_t>(options.job_index)].config_yaml.empty()) {
    throw UsageError("sweep " + options.sweep_id + " has no frozen job " +
                     std::to_string(options.job_index));
  }
  const auto& planned = plan[static_cast<size_t>(options.job_index)];
  *overrides = planned.overrides;
  return job_from_yaml(planned.config_yaml,
                       "sweep " + options.sweep_id + " job " + std::to_string(options.job_index));
}

// A Slurm array task records the sweep of its job file in its own shard
// database, then runs the job like a local sweep's child. A run the shard
// still holds as 'running' was in an earlier task of this job that Slurm
// ended without the run noticing (SIGKILL, out of memory, a lost node).
void adopt_job_file(RunOptions* options, store::RunStore& store) {
  std::string text;
  if (!base::read_file(options->job_file, &text)) {
    throw UsageError("--job-file " + options->job_file + ": cannot read it");
  }
  launch::JobFile plan;
  try {
    plan = launch::parse_job_file(text, options->job_file);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  store.adopt_sweep(plan.sweep_id, plan.name, store::json_strings(plan.words), plan.jobs,
                    plan.git_commit, plan.experiment_yaml);
  store.interrupt_running_runs("its Slurm task ended without recording why (killed)");
  options->sweep_id = plan.sweep_id;
}

// "ARRAY_TASK" when Slurm runs this process as an array task, the job id
// for a plain job, else "".
std::string slurm_job_id() {
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array != nullptr && task != nullptr) return std::string(array) + "_" + task;
  const char* job = std::getenv("SLURM_JOB_ID");
  return job != nullptr ? job : "";
}

// "luong gru" or "transformer 2+2 layers".
std::string describe_model(const config::RunSettings& s) {
  if (s.model.name == "rnn")
    return config::name(s.model.decoder) + " " + config::name(s.model.cell);
  return s.model.name + " " + std::to_string(s.model.layers) + "+" +
         std::to_string(s.model.layers) + " layers";
}

// The header line (and notes) of a run about to train.
void print_start(const train::StoredRun& run, const config::RunSettings& s,
                 const std::string& device) {
  const auto& environment = run.record().environment;
  std::cout << "run " << run.id() << ": " << s.attention.name << " attention, " << describe_model(s)
            << " (H=" << s.model.hidden_size << "), task " << s.task.name << " lengths "
            << s.task.train_lengths[0] << "-" << s.task.train_lengths[1] << ", " << s.train.steps
            << " steps, " << environment.threads << " thread(s) on " << device
            << (s.train.precision == config::Precision::kFp32
                    ? ""
                    : ", " + config::name(s.train.precision) + " autocast")
            << std::endl;
  if (!environment.gpu.empty()) std::cout << "  GPU: " << environment.gpu << "\n";
  if (s.train.deterministic) {
    std::cout << "  deterministic algorithms only; LibTorch warns once for each op that has "
                 "none"
              << std::endl;
  }
}

// One line per logged window: the step, the loss or dev exact match, the time.
void print_progress(const std::vector<store::MetricPoint>& points, int steps, double seconds) {
  std::cout << "  step " << std::setw(6) << points.front().step << "/" << steps;
  for (const auto& p : points) {
    if (p.name == store::metric::kTrainLoss) {
      std::cout << "  loss " << std::fixed << std::setprecision(4) << p.value;
    } else if (p.name == store::metric::kDevExact) {
      std::cout << "  dev exact " << std::fixed << std::setprecision(1) << 100 * p.value << " %";
    }
  }
  std::cout << "  " << std::fixed << std::setprecision(1) << seconds << " s" << std::endl;
}

void print_finish(const std::string& run_id, const train::RunOutcome& outcome,
                  const config::RunSettings& s) {
  const auto& result = outcome.result;
  std::cout << "run " << run_id << " finished in " << std::fixed << std::setprecision(1)
            << outcome.seconds << " s (" << result.steps_per_second << " steps/s); final loss "
            << std::setprecision(4) << result.final_loss << "\n";
  if (result.trained_steps < s.train.steps) {
    std::cout << "  stopped early at step " << result.trained_steps << ": no better dev exact "
              << "match in " << s.train.patience << " evaluations (train.patience)\n";
  }
  if (result.selected_step != result.trained_steps) {
    std::cout << "  evaluated the weights of step " << result.selected_step
              << ", the best on dev (train.select=best_dev)\n";
  }
  print_length_table(result.evals, s.task.train_lengths[0], s.task.train_lengths[1], result.splits);
}

// The job to run: composed from the command line (a bad config fails before
// the database is touched), or a sweep's frozen job, read from the database
// (opened into `opened`) or a job file. Sets `overrides` to the job's.
ComposedConfig job_to_run(const GlobalOptions& globals, RunOptions* options,
                          std::unique_ptr<store::RunStore>* opened,
                          std::vector<std::string>* overrides) {
  *overrides = options->overrides;
  if (options->job_index < 0) {
    std::string experiment = options->experiment;
    take_experiment_override(overrides, &experiment);
    return compose_job(globals, experiment, *overrides);
  }
  *opened = open_results(globals);
  if (!options->job_file.empty()) adopt_job_file(options, **opened);
  return frozen_job(*options, **opened, overrides);
}

// What the run tells as it trains: a signal stops it; unless quiet, its
// model and each logged window are printed.
train::RunEvents printed_events(bool talk, int steps) {
  train::RunEvents events;
  events.stop_signal = [] { return g_signal.load(); };
  if (!talk) return events;
  events.on_model = [](std::int64_t parameters, const std::string& engine, int resumed_step) {
    std::cout << "  " << parameters << " parameters, " << engine << " engine" << std::endl;
    if (resumed_step >= 0) {
      std::cout << "  resumed from the checkpoint at step " << resumed_step << std::endl;
    }
  };
  events.on_metrics = [steps](const std::vector<store::MetricPoint>& points, double seconds) {
    print_progress(points, steps, seconds);
  };
  return events;
}

void run(const GlobalOptions& globals, RunOptions options) {
  if (!options.job_file.empty() && options.job_index < 0) {
    throw UsageError("--job-file needs --job N (which job of the plan to run, from 0)");
  }
  std::vector<std::string> overrides;
  std::unique_ptr<store::RunStore> opened;
  const ComposedConfig job = job_to_run(globals, &options, &opened, &overrides);
  const auto& s = job.settings;
  const std::string device = prepare_device(s);
  if (!opened) opened = open_results(globals);

  // From before the run exists, a signal ends it as interrupted, however
  // early it arrives: one between recording the run and training it would
  // otherwise kill the process and leave the run recorded as running.
  const auto task = task_of(s.task);
  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  train::StoredRun run(*opened, {s, job.hash, overrides, options.sweep_id, slurm_job_id(), device,
                                 globals.results_dir() / "runs", task});
  const bool talk = globals.verbosity >= 0;
  if (talk) print_start(run, s, device);
  const train::RunOutcome outcome = run.train(printed_events(talk, s.train.steps));
  if (!outcome.finished()) {
    throw RunFailed("run " + run.id() + " " + store::status_name(outcome.status) + ": " +
                    outcome.error);
  }
  if (talk) {
    print_finish(run.id(), outcome, s);
  } else {
    std::cout << run.id() << "\n";
  }
}

}  // namespace

void add_run_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Compose one config, train it, evaluate it per source length and store it.");
  cmd->add_option("overrides", options->overrides,
                  "overrides: group=option, key.path=value, +new.key=value, ++key=value, ~key");
  cmd->add_option("--experiment", options->experiment,
                  "apply experiments/NAME.yaml before the overrides (its sweep is not run)");
  cmd->add_option("--sweep-id", options->sweep_id, "record the run as part of this sweep")
      ->group("");  // set by `attnlab sweep` for its child processes
  cmd->add_option("--job", options->job_index, "with --sweep-id: run this job of its frozen plan")
      ->group("");
  cmd->add_option("--job-file", options->job_file,
                  "with --job: run this job of a sweep's plan file (what a Slurm task runs)")
      ->group("");
  cmd->footer(
      std::string("Examples:\n"
                  "  attnlab run\n"
                  "  attnlab run attention=dot train.steps=500\n"
                  "  attnlab run attention=additive model.hidden_size=128 "
                  "task.train_lengths=[5,15]\n"
                  "One value per key: to try several, use `attnlab sweep`.\n"
                  "An interrupted run of the same config resumes from its last checkpoint\n"
                  "(train.checkpoint_every) and ends with the numbers it would have had.\n"
                  "Exit codes: 0 success, 1 the run failed, diverged or was interrupted (and is\n"
                  "stored so), 2 bad config or usage.\n\n") +
      kOverrideGrammar);
  cmd->callback([&globals, options] { run(globals, *options); });
}

}  // namespace attnlab::runner
