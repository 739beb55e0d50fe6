// One run's whole life in the store and in its folder (RUNS/ID: config.yaml,
// overrides.yaml, checkpoint.pt). Construction begins the run, or reopens
// the interrupted run of the same config whose checkpoint is still readable;
// train() trains (from that checkpoint when resuming) while recording
// metrics, heartbeats and checkpoints, then ends the run: finished with its
// results, or failed, diverged or interrupted with the reason. The CLI only
// parses and prints (RunEvents).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/task.h"
#include "store/run_store.h"
#include "train/trainer.h"

namespace attnlab::train {

struct RunSpec {
  config::RunSettings settings;
  std::string config_hash;
  std::vector<std::string> overrides;  // as given, for overrides.yaml and the runs table
  std::string sweep_id;                // "" for a run of its own
  std::string slurm_job_id;            // "ARRAY_TASK" or the job id under Slurm, else ""
  std::string device;                  // resolved: "cpu", "cuda", "cuda:1"
  std::filesystem::path runs_dir;      // the run's folder is runs_dir / its id
  std::shared_ptr<const data::Task> task;
};

// What the caller hears while the run trains; every member may be empty.
struct RunEvents {
  // Polled every step: a signal number ends training as interrupted.
  std::function<int()> stop_signal;
  // The model is built: its trainable parameters and the engine training it;
  // resumed_step is the checkpoint's step (-1 when the run starts afresh).
  std::function<void(std::int64_t parameters, const std::string& engine, int resumed_step)>
      on_model;
  // Every logged window and dev evaluation, after it is stored, with the
  // seconds since the run (re)started.
  std::function<void(const std::vector<store::MetricPoint>&, double seconds)> on_metrics;
};

struct RunOutcome {
  store::RunStatus status = store::RunStatus::kRunning;  // until train() ends the run
  std::string error;                                     // why, when not finished
  TrainResult result;                                    // when finished
  double seconds = 0;                                    // this process's wall time on the run
  std::string weights_sha256;  // of runs/RUN_ID/model.pt; "" when train.keep_weights is false

  bool finished() const { return status == store::RunStatus::kFinished; }
};

// The matrix-product peak (GFLOP/s) of `env`'s device with its threads, in
// `precision`'s dtype, as recorded in `store` for this host; measured
// briefly (torch::mm, a fraction of a second) and recorded when there is
// none. A run copies it into its metrics (peak_gflops), beside its model
// FLOPs per step (flops_per_step), so that runs on different devices
// compare on the compute each had. A sweep measures before its jobs start,
// so that they do not measure while the others train.
double device_peak_gflops(store::RunStore& store, const store::Environment& env,
                          config::Precision precision);

class StoredRun {
 public:
  // Begins the run (recording its settings, environment and parameters) or
  // reopens the resumable one, and writes its folder. Sets up threads and
  // the device's environment (configure_environment).
  StoredRun(store::RunStore& store, RunSpec spec);

  const std::string& id() const { return id_; }
  bool resuming() const { return !resume_state_.empty(); }
  const store::NewRun& record() const { return record_; }

  // Trains and ends the run in the store; never throws for a run that
  // fails (the outcome says why), only for a store that cannot be written.
  RunOutcome train(const RunEvents& events);

 private:
  store::RunStore& store_;
  RunSpec spec_;
  store::NewRun record_;
  std::string id_;
  std::string resume_state_;  // the checkpoint's bytes when resuming
  double peak_gflops_ = 0;    // device_peak_gflops() of the run's device
};

}  // namespace attnlab::train
