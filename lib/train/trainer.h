// The training loop: Adam under a learning-rate schedule, gradient clipping
// by global norm, a step budget, dev evaluations that draw the learning
// curve, choose the weights (train.select) and may stop training early
// (train.patience), then evaluation on the test split per length. The
// trainer knows nothing of files or the terminal; it reports (and hands out
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
#include "store/records.h"

namespace attnlab::train {

// Thrown when should_stop() asked the loop to end early (a signal).
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when the training loss became NaN or infinite, or exploded past
// kExplodedLoss times the loss of guessing uniformly (ln V per token).
class Diverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
constexpr double kExplodedLoss = 100;

struct TrainCallbacks {
  // Called every settings.train.log_every steps with that window's metrics
  // (train_loss, lr, elapsed_seconds), and every settings.train.eval_every
  // steps with the learning curve's (dev_exact, dev_token_accuracy, dev_perplexity).
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
  // Model FLOPs of a training step (Seq2SeqModelImpl::training_flops), the
  // mean over the steps this process trained; 0 for a model that counts none.
  double flops_per_step = 0;
  int trained_steps = 0;  // settings.train.steps, or fewer when training stopped early
  int selected_step = 0;  // the step whose weights were evaluated
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
  // generator, loss window and the dev selection so far, so that the run
  // ends with the numbers it would have had uninterrupted. Returns the
  // checkpoint's step. Throws std::runtime_error when `state` is not a
  // checkpoint of this config and data.
  int restore(const std::string& state);

  // What train_steps() measured.
  struct StepsMeasured {
    double mean_loss = 0;
    double target_tokens = 0;  // real (unpadded) target tokens, <eos> included
    double flops = 0;          // models::Seq2SeqModelImpl::training_flops, summed
  };
  // Trains steps first..first + count - 1 exactly as run() trains them
  // (batches, schedule, clipping, optimiser), without evaluations, logs or
  // checkpoints: what `attnlab bench train` times.
  StepsMeasured train_steps(int first, int count);

  // The weights file (train/trained_model.h) of the weights run() evaluated.
  std::string weights() const;

  // Trainable parameters of the model.
  std::int64_t parameter_count() const;
  // The engine training the model: 'fused' or 'modules' (train.engine).
  const std::string& engine() const { return engine_; }
  // The model and the task, for inspection after run().
  models::Seq2SeqModelImpl& model() { return *model_; }
  const data::Task& task() const { return *task_; }

 private:
  // One optimiser step; returns its loss, still on the device. With
  // `measured`, adds the step's tokens and FLOPs to it.
  torch::Tensor train_step(std::int64_t step, StepsMeasured* measured = nullptr);
  // Reads the loss summed since the last log point into window_loss_ (a
  // wait for the device). Throws Diverged when its mean is NaN, infinite or
  // past diverged_loss_.
  void read_window(std::int64_t step);
  // Ends the logging window at `step` (read_window) and returns its mean
  // loss and the learning rate, as metric points. Sets result->final_loss.
  std::vector<store::MetricPoint> close_window(int step, TrainResult* result);
  // Puts back the weights train.select chose, then evaluates them on every
  // length and split into `result`.
  void evaluate_selected(TrainResult* result);
  // Decodes the dev sample after `step`, adds its scores to `points` and
  // updates the selection. Returns true when early stopping ends training.
  bool evaluate_dev(int step, std::vector<store::MetricPoint>* points);
  // The state after `step`, with `seconds` of training so far.
  std::string checkpoint(int step, double seconds) const;
  // The identity a checkpoint carries: config and data.
  std::string identity() const;

  // The dev evaluation that chose the weights so far.
  struct Selection {
    int step = 0;                        // 0: no evaluation yet
    double exact = -1;                   // its dev exact match
    double token_accuracy = -1;          // its dev token accuracy, the tie-breaker
    int stale = 0;                       // evaluations since the last strictly better one
    std::vector<torch::Tensor> weights;  // its parameters and buffers (train.select: best_dev)
  };

  config::RunSettings settings_;
  torch::Device device_;
  std::shared_ptr<const data::Task> task_;
  std::shared_ptr<models::Seq2SeqModelImpl> model_;
  std::string engine_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  int done_steps_ = 0;        // steps already trained (restore())
  double counted_flops_ = 0;  // model FLOPs of the steps this process trained
  int counted_steps_ = 0;
  double window_loss_ = 0;                   // loss summed since the last log point
  torch::Tensor window_sum_;                 // the same sum, on the device, while training
  int window_ = 0;                           // steps since the last log point
  double earlier_seconds_ = 0;               // training time before restore()
  double diverged_loss_ = 0;                 // kExplodedLoss * ln V
  std::vector<data::Example> dev_examples_;  // the dev sample: learning curve and selection
  Selection selection_;
};

// Asks LibTorch (and cuDNN, cuBLAS) for deterministic algorithms only, or
// stops asking. An op that has none still runs and LibTorch warns once,
// naming it. Call before the first CUDA call.
void use_deterministic_algorithms(bool on);

// Checks that the names in `settings` (task, model, decoder, attention) exist in this build,
// and that train.engine=fused covers the run (on the CPU where device is auto).
// Throws std::invalid_argument naming the key and the valid names.
void check_names(const config::RunSettings& settings);

// Why the fused engine (models/fused_engine.h) cannot train `settings` on
// `device` (a LibTorch device string); empty when it can.
std::string fused_engine_gap(const config::RunSettings& settings, const std::string& device);

// The engine train.engine asks for: 'fused' wherever it covers the run,
// else 'modules'. Throws std::invalid_argument for train.engine=fused
// where it does not.
std::string choose_engine(const config::RunSettings& settings, const std::string& device);

}  // namespace attnlab::train
