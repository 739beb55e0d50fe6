// `attnlab run`: one config, trained, evaluated and stored. This is also what
// a sweep launches, one process per job.
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>

#include "config/settings.h"
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

void run(const GlobalOptions& globals, const RunOptions& options) {
  std::vector<std::string> overrides = options.overrides;
  std::string experiment = options.experiment;
  take_experiment_override(&overrides, &experiment);
  const Job job = compose_job(globals, experiment, overrides);
  const auto& s = job.settings;
  std::string device;
  try {
    device = train::resolve_device(s.device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }

  store::RunStore store(globals.db, store::OpenMode::kReadWrite);
  store::NewRun record;
  record.sweep_id = options.sweep_id;
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
  record.environment = train::configure_environment(s.threads, device);
  const std::string run_id = store.begin_run(record);
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const auto run_dir = globals.results_dir() / "runs" / run_id;
  write_run_folder(run_dir, s, overrides);
  if (globals.verbosity >= 0) {
    const std::string model = s.model.name == "rnn"
                                  ? s.model.decoder + " " + s.model.cell
                                  : s.model.name + " " + std::to_string(s.model.layers) + "+" +
                                        std::to_string(s.model.layers) + " layers";
    std::cout << "run " << run_id << ": " << s.attention.name << " attention, " << model
              << " (H=" << s.model.hidden_size << "), task " << s.task.name << " lengths "
              << s.task.train_lengths[0] << "-" << s.task.train_lengths[1] << ", " << s.train.steps
              << " steps, " << record.environment.threads << " thread(s) on " << device
              << std::endl;
  }

  std::signal(SIGINT, remember_signal);
  std::signal(SIGTERM, remember_signal);
  train::TrainCallbacks callbacks;
  callbacks.should_stop = [] { return g_signal != 0; };
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    store.log_metrics(run_id, points);
    if (globals.verbosity >= 0) {
      std::cout << "  step " << std::setw(6) << points.front().step << "/" << s.train.steps
                << "  loss " << std::fixed << std::setprecision(4) << points.front().value << "  "
                << std::setprecision(1) << elapsed() << " s" << std::endl;
    }
  };

  train::TrainResult result;
  try {
    train::Trainer trainer(s, torch::Device(device));
    const std::int64_t parameters = trainer.parameter_count();
    store.set_parameters(run_id, parameters);
    if (globals.verbosity >= 0) std::cout << "  " << parameters << " parameters" << std::endl;
    result = trainer.run(callbacks);
  } catch (const std::exception& e) {
    const std::string why = g_signal != 0 ? std::string("interrupted by signal ") +
                                                std::to_string(g_signal.load()) + ": " + e.what()
                                          : e.what();
    store.fail_run(run_id, why, elapsed());
    throw RunFailed("run " + run_id + " failed: " + why);
  }
  store.log_metrics(run_id, {{s.train.steps, "steps_per_second", result.steps_per_second}});
  store.finish_run(run_id, result.evals, elapsed());
  if (globals.verbosity >= 0) {
    std::cout << "run " << run_id << " completed in " << std::fixed << std::setprecision(1)
              << elapsed() << " s (" << result.steps_per_second << " steps/s); final loss "
              << std::setprecision(4) << result.final_loss << "\n";
    print_length_table(result.evals, s.task.train_lengths[0], s.task.train_lengths[1]);
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
  cmd->footer(
      std::string("Examples:\n"
                  "  attnlab run\n"
                  "  attnlab run attention=dot train.steps=500\n"
                  "  attnlab run attention=additive model.hidden_size=128 "
                  "task.train_lengths=[5,15]\n"
                  "One value per key: to try several, use `attnlab sweep`.\n"
                  "Exit codes: 0 success, 1 the run failed (stored as failed), 2 bad config or "
                  "usage.\n\n") +
      kOverrideGrammar);
  cmd->callback([&globals, options] { run(globals, *options); });
}

}  // namespace attnlab::runner
