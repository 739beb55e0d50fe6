// The training loop and its checks of names against the layer tables.
#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "attention/registry.h"
#include "config/errors.h"
#include "data/batch.h"
#include "models/recurrent.h"
#include "train/evaluate.h"

namespace attnlab::train {
namespace {

void check_in(const std::string& key, const std::string& value,
              const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) != valid.end()) return;
  throw std::invalid_argument(key + ": '" + value +
                              "' is not available; valid: " + config::join(valid));
}

}  // namespace

void check_names(const config::RunSettings& settings) {
  check_in("task.name", settings.task.name, data::task_names());
  check_in("attention.name", settings.attention.name, attention::attention_names());
  if (settings.model.name == "rnn") {
    check_in("model.decoder", settings.model.decoder, models::decoder_names());
  }
}

Trainer::Trainer(const config::RunSettings& settings, const torch::Device& device)
    : settings_(settings), device_(device) {
  check_names(settings_);
  torch::manual_seed(settings_.seed);
  task_ = data::make_task(settings_.task);
  model_ =
      models::make_model(settings_, task_->vocabulary().size(),
                         std::max(settings_.task.train_lengths[1], settings_.task.test_lengths[1]));
  model_->to(device_);
  optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                                    torch::optim::AdamOptions(settings_.train.lr));
}

std::int64_t Trainer::parameter_count() const {
  return models::parameter_count(*model_);
}

double Trainer::train_step(std::int64_t step) {
  const data::Batch batch =
      data::to_device(data::make_batch(data::training_examples(*task_, settings_, step)), device_);
  optimizer_->zero_grad();
  const auto logits = model_->forward(batch);  // [B, T, V]
  const auto loss = torch::nn::functional::cross_entropy(
      logits.reshape({-1, logits.size(2)}), batch.target_out.reshape({-1}),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kPad));
  loss.backward();
  if (settings_.train.clip_norm > 0) {
    torch::nn::utils::clip_grad_norm_(model_->parameters(), settings_.train.clip_norm);
  }
  optimizer_->step();
  return loss.item<double>();
}

TrainResult Trainer::run(const TrainCallbacks& callbacks) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  TrainResult result;
  double window_loss = 0;
  int window = 0;
  model_->train();
  for (std::int64_t step = 1; step <= settings_.train.steps; ++step) {
    if (callbacks.should_stop && callbacks.should_stop()) {
      throw Interrupted("interrupted at step " + std::to_string(step) + " of " +
                        std::to_string(settings_.train.steps));
    }
    const double loss = train_step(step);
    if (!std::isfinite(loss)) {
      throw std::runtime_error("training diverged: loss is " + std::to_string(loss) + " at step " +
                               std::to_string(step) + " (try a lower train.lr)");
    }
    window_loss += loss;
    ++window;
    if (step % settings_.train.log_every == 0 || step == settings_.train.steps) {
      result.final_loss = window_loss / window;
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (callbacks.on_metrics) {
        callbacks.on_metrics({{static_cast<int>(step), "train_loss", result.final_loss},
                              {static_cast<int>(step), "elapsed_seconds", seconds}});
      }
      window_loss = 0;
      window = 0;
    }
  }
  result.train_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.steps_per_second =
      result.train_seconds > 0 ? settings_.train.steps / result.train_seconds : 0;
  result.evals = evaluate_lengths(*model_, *task_, settings_, device_);
  return result;
}

}  // namespace attnlab::train
