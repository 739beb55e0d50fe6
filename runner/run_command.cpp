// `attnlab run`: one config, trained, evaluated and stored. This is also what
// a sweep launches, one process per job.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "config/settings.h"
#include "launch/job_file.h"
#include "runner/common.h"
#include "store/run_store.h"
#include "train/environment.h"
#include "train/trainer.h"

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

void write_run_folder(const std::filesystem::path& dir, const config::RunSettings& settings,
                      const std::vector<std::string>& overrides) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.yaml") << config::to_yaml(settings);
  YAML::Emitter overrides_yaml;
  overrides_yaml << YAML::BeginSeq;
  for (const auto& o : overrides)
    overrides_yaml << o;
  overrides_yaml << YAML::EndSeq;
  std::ofstream(dir / "overrides.yaml") << overrides_yaml.c_str() << "\n";
}

// A job frozen in a sweep's plan.
Job frozen_job(const RunOptions& options, store::RunStore& store,
               std::vector<std::string>* overrides) {
  const auto plan = store.sweep_plan(options.sweep_id);
  if (options.job_index >= static_cast<int>(plan.size()) ||
      plan[static_cast<size_t>(options.job_index)].config_yaml.empty()) {
    throw UsageError("sweep " + options.sweep_id + " has no frozen job " +
                     std::to_string(options.job_index));
  }
  const auto& planned = plan[static_cast<size_t>(options.job_index)];
  *overrides = nlohmann::json::parse(planned.overrides_json).get<std::vector<std::string>>();
  return job_from_yaml(planned.config_yaml,
                       "sweep " + options.sweep_id + " job " + std::to_string(options.job_index));
}

// A Slurm array task records the sweep of its job file in its own shard
// database, then runs the job like a local sweep's child. A run the shard
// still holds as 'running' was in an earlier task of this job that Slurm
// ended without the run noticing (SIGKILL, out of memory, a lost node).
void adopt_job_file(RunOptions* options, store::RunStore& store) {
  std::string text;
  if (!read_file(options->job_file, &text)) {
    throw UsageError("--job-file " + options->job_file + ": cannot read it");
  }
  launch::JobFile plan;
  try {
    plan = launch::parse_job_file(text, options->job_file);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  std::vector<store::PlannedJob> jobs;
  for (const auto& j : plan.jobs)
    jobs.push_back({json_strings(j.overrides), j.config_hash, j.config_yaml});
  store.adopt_sweep(plan.sweep_id, plan.name, json_strings(plan.words), jobs, plan.git_commit,
                    plan.experiment_yaml);
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

// What the runs table records of a new run.
store::NewRun new_run(const Job& job, const std::vector<std::string>& overrides,
                      const std::string& sweep_id, const store::Environment& environment) {
  const auto& s = job.settings;
  store::NewRun record;
  record.sweep_id = sweep_id;
  record.config_hash = job.hash;
  record.config_yaml = config::to_yaml(s);
  record.overrides_json = json_strings(overrides);
  record.seed = s.seed;
  record.task = s.task.name;
  record.model = s.model.name;
  record.attention = s.attention.name;
  record.decoder = s.model.name == "rnn" ? s.model.decoder : s.model.name;
  record.hidden_size = s.model.hidden_size;
  record.train_min_length = s.task.train_lengths[0];
  record.train_max_length = s.task.train_lengths[1];
  record.length_unit = task_of(s.task)->length_unit();
  record.data_identity = task_of(s.task)->data_identity();
  record.slurm_job_id = slurm_job_id();
  record.environment = environment;
  return record;
}

// "luong gru" or "transformer 2+2 layers".
std::string describe_model(const config::RunSettings& s) {
  if (s.model.name == "rnn") return s.model.decoder + " " + s.model.cell;
  return s.model.name + " " + std::to_string(s.model.layers) + "+" +
         std::to_string(s.model.layers) + " layers";
}

void run(const GlobalOptions& globals, RunOptions options) {
  if (!options.job_file.empty() && options.job_index < 0) {
    throw UsageError("--job-file needs --job N (which job of the plan to run, from 0)");
  }
  std::vector<std::string> overrides = options.overrides;
  std::unique_ptr<store::RunStore> opened;
  Job job;
  if (options.job_index < 0) {
    // A bad config fails before the database is touched.
    std::string experiment = options.experiment;
    take_experiment_override(&overrides, &experiment);
    job = compose_job(globals, experiment, overrides);
  } else {
    opened = open_results(globals);
    if (!options.job_file.empty()) adopt_job_file(&options, *opened);
    job = frozen_job(options, *opened, &overrides);
  }
  const auto& s = job.settings;
  const std::string device = prepare_device(s);
  if (!opened) opened = open_results(globals);
  store::RunStore& store = *opened;
  store.reap_vanished_runs();

  const store::NewRun record =
      new_run(job, overrides, options.sweep_id, train::configure_environment(s.threads, device));

  // An interrupted run of this config continues from its checkpoint.
  std::string run_id, resume_state;
  if (const auto previous = store.resumable_run(job.hash)) {
    const auto file = globals.results_dir() / "runs" / previous->run_id / "checkpoint.pt";
    if (read_file(file, &resume_state)) {
      run_id = previous->run_id;
      store.reopen_run(run_id, ::getpid(), record.slurm_job_id);
    }
  }
  const bool resuming = !run_id.empty();
  if (!resuming) {
    run_id = store.begin_run(record);
    store.set_params(run_id, flatten_settings(s));
  }
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const auto run_dir = globals.results_dir() / "runs" / run_id;
  write_run_folder(run_dir, s, overrides);
  const bool talk = globals.verbosity >= 0;
  if (talk) {
    std::cout << "run " << run_id << ": " << s.attention.name << " attention, " << describe_model(s)
              << " (H=" << s.model.hidden_size << "), task " << s.task.name << " lengths "
              << s.task.train_lengths[0] << "-" << s.task.train_lengths[1] << ", " << s.train.steps
              << " steps, " << record.environment.threads << " thread(s) on " << device
              << (s.train.precision == "fp32" ? "" : ", " + s.train.precision + " autocast")
              << std::endl;
    if (!record.environment.gpu.empty()) std::cout << "  GPU: " << record.environment.gpu << "\n";
    if (s.train.deterministic) {
      std::cout << "  deterministic algorithms only; LibTorch warns once for each op that has "
                   "none"
                << std::endl;
    }
  }

  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  train::TrainCallbacks callbacks;
  callbacks.should_stop = [] { return g_signal != 0; };
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    store.log_metrics(run_id, points);
    store.heartbeat(run_id);
    if (talk) {
      std::cout << "  step " << std::setw(6) << points.front().step << "/" << s.train.steps;
      for (const auto& p : points) {
        if (p.name == "train_loss") {
          std::cout << "  loss " << std::fixed << std::setprecision(4) << p.value;
        } else if (p.name == "dev_exact") {
          std::cout << "  dev exact " << std::fixed << std::setprecision(1) << 100 * p.value
                    << " %";
        }
      }
      std::cout << "  " << std::fixed << std::setprecision(1) << elapsed() << " s" << std::endl;
    }
  };
  callbacks.on_checkpoint = [&](int step, const std::string& state) {
    write_file_atomically(run_dir / "checkpoint.pt", state);
    store.set_checkpoint(run_id, step);
  };

  train::TrainResult result;
  try {
    train::Trainer trainer(s, torch::Device(device), task_of(s.task));
    const std::int64_t parameters = trainer.parameter_count();
    store.set_model(run_id, parameters, trainer.engine());
    if (talk) {
      std::cout << "  " << parameters << " parameters, " << trainer.engine() << " engine"
                << std::endl;
    }
    if (resuming) {
      const int step = trainer.restore(resume_state);
      if (talk) std::cout << "  resumed from the checkpoint at step " << step << std::endl;
    }
    result = trainer.run(callbacks);
  } catch (const std::exception& e) {
    std::string status = "failed", why = e.what();
    if (dynamic_cast<const train::Diverged*>(&e) != nullptr) status = "diverged";
    if (g_signal != 0) {
      status = "interrupted";
      why = "interrupted by signal " + std::to_string(g_signal.load()) + ": " + why;
    }
    store.set_peak_memory(run_id, train::peak_memory_bytes());
    store.end_run(run_id, status, why, elapsed());
    throw RunFailed("run " + run_id + " " + status + ": " + why);
  }
  store.log_metrics(run_id, {{result.trained_steps, "steps_per_second", result.steps_per_second}});
  store.set_peak_memory(run_id, train::peak_memory_bytes());
  store.finish_run(run_id, {result.evals, result.splits, result.examples, elapsed(),
                            result.selected_step, result.trained_steps});
  std::error_code ignored;
  std::filesystem::remove(run_dir / "checkpoint.pt", ignored);
  if (talk) {
    std::cout << "run " << run_id << " finished in " << std::fixed << std::setprecision(1)
              << elapsed() << " s (" << result.steps_per_second << " steps/s); final loss "
              << std::setprecision(4) << result.final_loss << "\n";
    if (result.trained_steps < s.train.steps) {
      std::cout << "  stopped early at step " << result.trained_steps << ": no better dev exact "
                << "match in " << s.train.patience << " evaluations (train.patience)\n";
    }
    if (result.selected_step != result.trained_steps) {
      std::cout << "  evaluated the weights of step " << result.selected_step
                << ", the best on dev (train.select=best_dev)\n";
    }
    print_length_table(result.evals, s.task.train_lengths[0], s.task.train_lengths[1],
                       result.splits);
  } else {
    std::cout << run_id << "\n";
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
