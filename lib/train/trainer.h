// The training loop: Adam, gradient clipping by global norm, a fixed step
// budget, then evaluation per source length. The trainer knows nothing of
// the database, files or the terminal; it reports (and hands out
// checkpoints) through callbacks, and restore() continues from one.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "config/settings.h"
#include "data/task.h"
#include "models/model.h"
#include "store/run_store.h"

namespace attnlab::train {

// Thrown when should_stop() asked the loop to end early (a signal).
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when the training loss became NaN or infinite.
class Diverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainCallbacks {
  // Called every settings.train.log_every steps with that window's metrics
  // (train_loss, elapsed_seconds), and every settings.train.eval_every steps
  // with the learning curve's (eval_exact, eval_token_accuracy).
  std::function<void(const std::vector<store::MetricPoint>&)> on_metrics;
  // Polled every step; returning true ends training with Interrupted.
  std::function<bool()> should_stop;
  // Every settings.train.checkpoint_every steps: the step and the state to
  // resume from it (restore()); the caller stores it.
  std::function<void(int, const std::string&)> on_checkpoint;
};

struct TrainResult {
  std::vector<store::LengthEval> evals;         // per length
  std::vector<store::SplitScores> splits;       // whole 'test' (and 'dev') sets
  std::vector<store::DecodedExample> examples;  // a few decoded, with attention
  double final_loss = 0;                        // mean training loss over the last logging window
  double train_seconds = 0;
  double steps_per_second = 0;
};

class Trainer {
 public:
  // Seeds LibTorch from settings.seed and builds the model on `device`, and
  // the task unless one built from settings.task is given.
  Trainer(const config::RunSettings& settings, const torch::Device& device,
          std::shared_ptr<const data::Task> task = nullptr);

  // Trains from the first step not yet done (1, or after restore()) to
  // settings.train.steps, then evaluates.
  TrainResult run(const TrainCallbacks& callbacks);

  // Continues from a state that on_checkpoint gave: model, optimiser, random
  // generator and loss window, so that the run ends with the numbers it
  // would have had uninterrupted. Returns the checkpoint's step. Throws
  // std::runtime_error when `state` is not a checkpoint of this config.
  int restore(const std::string& state);

  // Trainable parameters of the model.
  std::int64_t parameter_count() const;
  // The model and the task, for inspection after run().
  models::Seq2SeqModelImpl& model() { return *model_; }
  const data::Task& task() const { return *task_; }

 private:
  // One optimiser step; returns its loss, still on the device.
  torch::Tensor train_step(std::int64_t step);
  // Reads the loss summed since the last log point into window_loss_ (a
  // wait for the device). Throws Diverged when it is NaN or infinite.
  void read_window(std::int64_t step);
  // The state after `step`, with `seconds` of training so far.
  std::string checkpoint(int step, double seconds) const;

  config::RunSettings settings_;
  torch::Device device_;
  std::shared_ptr<const data::Task> task_;
  std::shared_ptr<models::Seq2SeqModelImpl> model_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int done_steps_ = 0;                         // steps already trained (restore())
  double window_loss_ = 0;                     // loss summed since the last log point
  torch::Tensor window_sum_;                   // the same sum, on the device, while training
  int window_ = 0;                             // steps since the last log point
  double earlier_seconds_ = 0;                 // training time before restore()
  std::vector<data::Example> curve_examples_;  // the learning-curve sample
};

// Asks LibTorch (and cuDNN, cuBLAS) for deterministic algorithms only, or
// stops asking. An op that has none still runs and LibTorch warns once,
// naming it. Call before the first CUDA call.
void use_deterministic_algorithms(bool on);

// Checks that the names in `settings` (task, model, decoder, attention) exist in this build.
// Throws std::invalid_argument naming the key and the valid names.
void check_names(const config::RunSettings& settings);

}  // namespace attnlab::train
