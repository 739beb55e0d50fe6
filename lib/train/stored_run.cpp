// The order matters for resuming: a run is reopened only when its
// checkpoint reads back whole, and the checkpoint file is deleted only after
// the finished run is stored.
#include "train/stored_run.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "config/sha256.h"
#include "train/benchmark.h"
#include "train/environment.h"

namespace attnlab::train {
namespace {

void flatten(const nlohmann::json& j, const std::string& prefix, std::vector<store::Param>* out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items())
      flatten(value, prefix.empty() ? key : prefix + "." + key, out);
  } else if (j.is_boolean()) {
    out->push_back({prefix, std::int64_t{j.get<bool>() ? 1 : 0}});
  } else if (j.is_number_integer()) {
    out->push_back({prefix, j.get<std::int64_t>()});
  } else if (j.is_number()) {
    out->push_back({prefix, j.get<double>()});
  } else if (j.is_string()) {
    out->push_back({prefix, j.get<std::string>()});
  } else {
    out->push_back({prefix, j.dump()});  // lists stay JSON text
  }
}

// Every setting, flattened to dotted keys and typed, for the params table.
std::vector<store::Param> flatten_settings(const config::RunSettings& settings) {
  std::vector<store::Param> params;
  flatten(nlohmann::json::parse(config::canonical_json(settings)), "", &params);
  return params;
}

// What the runs table records of a new run.
store::NewRun new_run(const RunSpec& spec, const store::Environment& environment) {
  const auto& s = spec.settings;
  store::NewRun record;
  record.sweep_id = spec.sweep_id;
  record.config_hash = spec.config_hash;
  record.config_yaml = config::to_yaml(s);
  record.config_json = config::to_json(s);
  record.overrides_json = store::json_strings(spec.overrides);
  record.seed = s.seed;
  record.task = s.task.name;
  record.model = s.model.name;
  record.attention = s.attention.name;
  record.decoder = s.model.name == "rnn" ? config::name(s.model.decoder) : s.model.name;
  record.hidden_size = s.model.hidden_size;
  record.train_min_length = s.task.train_lengths[0];
  record.train_max_length = s.task.train_lengths[1];
  record.length_unit = spec.task->length_unit();
  record.data_identity = spec.task->data_identity();
  record.slurm_job_id = spec.slurm_job_id;
  record.environment = environment;
  return record;
}

void write_run_folder(const std::filesystem::path& dir, const RunSpec& spec) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.yaml") << config::to_yaml(spec.settings);
  YAML::Emitter overrides_yaml;
  overrides_yaml << YAML::BeginSeq;
  for (const auto& o : spec.overrides)
    overrides_yaml << o;
  overrides_yaml << YAML::EndSeq;
  std::ofstream(dir / "overrides.yaml") << overrides_yaml.c_str() << "\n";
}

}  // namespace

double device_peak_gflops(store::RunStore& store, const store::Environment& env,
                          config::Precision precision) {
  const std::string& dtype = config::name(precision);
  if (const auto recorded = store.device_peak(env.hostname, env.device, dtype, env.threads)) {
    return *recorded;
  }
  const torch::Device device(env.device);
  // Large enough to reach the peak, short enough to go unnoticed in a run.
  const std::vector<int> sizes =
      device.is_cuda() ? std::vector<int>{4096, 8192} : std::vector<int>{512};
  const double gflops =
      peak_flops(measure_gemm(
          sizes, 0.15, device,
          precision == config::Precision::kBf16 ? torch::kBFloat16 : torch::kFloat, {})) /
      1e9;
  store.record_device_peak(env.hostname, env.device, dtype, env.threads, gflops);
  return gflops;
}

StoredRun::StoredRun(store::RunStore& store, RunSpec spec) : store_(store), spec_(std::move(spec)) {
  store_.reap_vanished_runs();
  record_ = new_run(spec_, configure_environment(spec_.settings.threads, spec_.device));
  peak_gflops_ = device_peak_gflops(store_, record_.environment, spec_.settings.train.precision);
  // An interrupted run of this config continues from its checkpoint.
  if (const auto previous = store_.resumable_run(spec_.config_hash)) {
    if (base::read_file(spec_.runs_dir / previous->run_id / "checkpoint.pt", &resume_state_)) {
      id_ = previous->run_id;
      store_.reopen_run(id_, ::getpid(), record_.slurm_job_id);
    } else {
      resume_state_.clear();
    }
  }
  if (id_.empty()) {
    id_ = store_.begin_run(record_);
    store_.set_params(id_, flatten_settings(spec_.settings));
  }
  if (!spec_.settings.tags.empty()) store_.set_tags(id_, spec_.settings.tags);
  write_run_folder(spec_.runs_dir / id_, spec_);
}

namespace {

// A checkpoint that could not be written (a full disk): the run is
// interrupted, and resumes from its last good checkpoint.
class CheckpointNotWritten : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

store::RunStatus ended_as(const std::exception& e) {
  if (dynamic_cast<const Diverged*>(&e) != nullptr) return store::RunStatus::kDiverged;
  if (dynamic_cast<const CheckpointNotWritten*>(&e) != nullptr) {
    return store::RunStatus::kInterrupted;
  }
  return store::RunStatus::kFailed;
}

// What a run's error records: LibTorch's message without its C++ backtrace.
std::string message_of(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    return torch_error->what_without_backtrace();
  }
  return e.what();
}

// Continues `trainer` from the checkpoint read at construction; returns its
// step. A checkpoint that does not restore (damaged) fails the run, naming
// the file; a failed run is not resumed, so the config's next run starts
// afresh.
int restore(Trainer& trainer, const std::string& state, const std::filesystem::path& file) {
  try {
    return trainer.restore(state);
  } catch (const std::exception& e) {
    throw std::runtime_error(file.string() + " cannot be restored (" + message_of(e) +
                             "); running the config again trains it afresh");
  }
}

// Writes `bytes` as `file`, atomically. Failing for want of room, the run
// is interrupted, and resumes from its last good checkpoint.
void write_or_interrupt(const std::filesystem::path& file, const std::string& bytes,
                        const std::string& what) {
  try {
    base::write_file_atomically(file, bytes);
  } catch (const std::exception& e) {
    throw CheckpointNotWritten("could not write " + what + " (" + e.what() +
                               "); the run resumes from its last checkpoint once there is room");
  }
}

}  // namespace

RunOutcome StoredRun::train(const RunEvents& events) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  const auto checkpoint = spec_.runs_dir / id_ / "checkpoint.pt";
  TrainCallbacks callbacks;
  callbacks.should_stop = [&] { return events.stop_signal && events.stop_signal() != 0; };
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    store_.log_metrics(id_, points);
    store_.heartbeat(id_);
    if (events.on_metrics) events.on_metrics(points, elapsed());
  };
  callbacks.on_checkpoint = [&](int step, const std::string& state) {
    write_or_interrupt(checkpoint, state, "the checkpoint of step " + std::to_string(step));
    store_.set_checkpoint(id_, step);
  };

  RunOutcome outcome;
  try {
    Trainer trainer(spec_.settings, torch::Device(spec_.device), spec_.task);
    store_.set_model(id_, trainer.parameter_count(), trainer.engine());
    const int resumed_step = resuming() ? restore(trainer, resume_state_, checkpoint) : -1;
    if (events.on_model) events.on_model(trainer.parameter_count(), trainer.engine(), resumed_step);
    outcome.result = trainer.run(callbacks);
    if (spec_.settings.train.keep_weights) {  // the weights evaluated, for attnlab decode
      const std::string weights = trainer.weights();
      write_or_interrupt(spec_.runs_dir / id_ / "model.pt", weights, "the weights");
      outcome.weights_sha256 = config::sha256_hex(weights);
    }
  } catch (const std::exception& e) {
    outcome.status = ended_as(e);
    outcome.error = message_of(e);
    const int signal = events.stop_signal ? events.stop_signal() : 0;
    if (signal != 0) {
      outcome.status = store::RunStatus::kInterrupted;
      outcome.error = "interrupted by signal " + std::to_string(signal) + ": " + outcome.error;
    }
    outcome.seconds = elapsed();
    store_.set_peak_memory(id_, peak_memory_bytes());
    store_.end_run(id_, outcome.status, outcome.error, outcome.seconds);
    return outcome;
  }
  const TrainResult& r = outcome.result;
  std::vector<store::MetricPoint> cost = {
      {r.trained_steps, store::metric::kStepsPerSecond, r.steps_per_second},
      {r.trained_steps, store::metric::kPeakGflops, peak_gflops_}};
  if (r.flops_per_step > 0)
    cost.push_back({r.trained_steps, store::metric::kFlopsPerStep, r.flops_per_step});
  store_.log_metrics(id_, cost);
  store_.set_peak_memory(id_, peak_memory_bytes());
  outcome.status = store::RunStatus::kFinished;
  outcome.seconds = elapsed();
  store_.finish_run(id_, {r.evals, r.splits, r.examples, outcome.seconds, r.selected_step,
                          r.trained_steps, outcome.weights_sha256});
  std::error_code ignored;
  std::filesystem::remove(checkpoint, ignored);
  return outcome;
}

}  // namespace attnlab::train
