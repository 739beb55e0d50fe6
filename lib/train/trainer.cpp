// The training loop and its checks of names against the layer tables.
#include "train/trainer.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <string>

#include "attention/registry.h"
#include "base/errors.h"
#include "base/text.h"
#include "data/batch.h"
#include "models/recurrent.h"
#include "train/evaluate.h"
#include "train/fused_optimizer.h"
#include "train/schedule.h"
#include "train/trained_model.h"

namespace attnlab::train {
namespace {

void check_in(const std::string& key, const std::string& value,
              const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) != valid.end()) return;
  throw base::ChoiceError(key, value, valid);
}

// Switches bfloat16 autocast on or off for one device type (the API moved
// in LibTorch 2.4).
void set_bf16_autocast(c10::DeviceType type, bool on) {
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
  if (on) at::autocast::set_autocast_dtype(type, at::kBFloat16);
  at::autocast::set_autocast_enabled(type, on);
#else
  if (type == torch::kCUDA) {
    if (on) at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(on);
  } else {
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
  }
#endif
}

// Autocast to bfloat16 on `device` while it lives (train.precision: bf16):
// matrix products and recurrent cells in bf16, reductions and the loss in
// fp32, weights and optimiser state in fp32.
class Bf16Autocast {
 public:
  Bf16Autocast(bool on, const torch::Device& device) : on_(on), type_(device.type()) {
    if (!on_) return;
    at::autocast::increment_nesting();
    set_bf16_autocast(type_, true);
  }
  ~Bf16Autocast() {
    if (!on_) return;
    set_bf16_autocast(type_, false);
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  }
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  c10::DeviceType type_;
};

// torch::nn::utils::clip_grad_norm_ (global L2 norm) with the same
// arithmetic, but without reading the norm back to the host at the end,
// which would make every step wait for the GPU.
void clip_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm) {
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : parameters) {
    if (p.grad().defined()) grads.push_back(p.grad().data());
  }
  if (grads.empty()) return;
  for (const auto& g : grads)
    norms.push_back(g.norm(2.0));
  const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2.0);
  const auto scale = torch::clamp_max(max_norm / (total + 1e-6), 1.0);
  for (auto& g : grads)
    g.mul_(scale);
}

// Every parameter and buffer of `model`, in a fixed order.
std::vector<torch::Tensor> state_tensors(torch::nn::Module& model) {
  std::vector<torch::Tensor> out = model.parameters();
  for (const auto& b : model.buffers())
    out.push_back(b);
  return out;
}

std::vector<torch::Tensor> copies(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> out;
  out.reserve(tensors.size());
  for (const auto& t : tensors)
    out.push_back(t.detach().clone());
  return out;
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

}  // namespace

void use_deterministic_algorithms(bool on) {
  // cuBLAS is deterministic only with a fixed workspace; it reads this once,
  // when it starts, so it is set before the first CUDA call.
  if (on) setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8", 0);
  auto& context = at::globalContext();
  context.setDeterministicAlgorithms(on, /*warn_only=*/true);
  context.setDeterministicCuDNN(on);
  if (on) context.setBenchmarkCuDNN(false);
}

void check_names(const config::RunSettings& settings) {
  check_in("task.name", settings.task.name, data::task_names());
  check_in("attention.name", settings.attention.name, attention::attention_names());
  if (settings.model.name == "rnn") {
    check_in("model.decoder", config::name(settings.model.decoder), models::decoder_names());
  }
  choose_engine(settings, settings.device == "auto" ? "cpu" : settings.device);
}

std::string fused_engine_gap(const config::RunSettings& settings, const std::string& device) {
  if (settings.model.name != "rnn") return "the Transformer trains on modules";
  if (settings.model.decoder == config::Decoder::kCho) return "model.decoder=cho trains on modules";
  if (settings.attention.name != "none") {
    const auto options =
        attention::scorer_options(settings.attention, settings.model.hidden_size, 1);
    if (!attention::make_scorer(settings.attention.name, options)->has_fused()) {
      return "attention '" + settings.attention.name + "' has no fused score";
    }
  }
  if (device.rfind("cpu", 0) != 0) return "it runs on the CPU, not on " + device;
  if (settings.train.precision != config::Precision::kFp32) {
    return "it computes in fp32, not train.precision=" + config::name(settings.train.precision);
  }
  return "";
}

std::string choose_engine(const config::RunSettings& settings, const std::string& device) {
  const auto& engine = settings.train.engine;
  if (engine == "modules") return engine;
  const std::string gap = fused_engine_gap(settings, device);
  if (gap.empty()) return "fused";
  if (engine == "fused") {
    throw base::KeyError("train.engine", "the fused engine does not cover this run (" + gap +
                                             "); valid here: auto, modules");
  }
  return "modules";
}

Trainer::Trainer(const config::RunSettings& settings, const torch::Device& device,
                 std::shared_ptr<const data::Task> task)
    : settings_(settings), device_(device), task_(std::move(task)) {
  check_names(settings_);
  torch::manual_seed(settings_.seed);
  if (!task_) task_ = data::make_task(settings_.task);
  model_ = build_model(settings_, *task_);
  model_->to(device_);
  engine_ = choose_engine(settings_, device_.str());
  if (engine_ == "fused") {
    TORCH_CHECK(model_->fused_gap().empty(), "fused engine: ", model_->fused_gap());
    model_->use_fused(true);
  }
  if (settings_.train.eval_every > 0) dev_examples_ = dev_sample(*task_, settings_);
  const torch::optim::AdamOptions adam(settings_.train.lr);
  if (engine_ == "fused") {
    optimizer_ = std::make_unique<FusedAdam>(model_->parameters(), adam);
  } else {
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(), adam);
  }
  diverged_loss_ = kExplodedLoss * std::log(static_cast<double>(task_->vocabulary().size()));
}

std::string Trainer::identity() const {
  return model_identity(settings_, *task_);
}

std::string Trainer::weights() const {
  return weights_bytes(*model_, identity());
}

std::int64_t Trainer::parameter_count() const {
  return models::parameter_count(*model_);
}

torch::Tensor Trainer::train_step(std::int64_t step, StepsMeasured* measured) {
  data::Batch batch = data::make_batch(data::training_examples(*task_, settings_, step));
  const double flops = model_->training_flops(batch);  // from shapes alone
  counted_flops_ += flops;
  ++counted_steps_;
  if (measured) {  // counted on the CPU: reading a GPU tensor would wait for every step
    measured->target_tokens += batch.target_mask.sum().item<double>();
    measured->flops += flops;
  }
  batch = data::to_device(batch, device_);
  optimizer_->zero_grad();
  set_lr(*optimizer_, scheduled_lr(settings_.train, step));
  torch::Tensor loss;
  {
    const Bf16Autocast autocast(settings_.train.precision == config::Precision::kBf16, device_);
    const auto logits = model_->forward(batch);  // [B, T, V]
    loss = torch::nn::functional::cross_entropy(
        logits.reshape({-1, logits.size(2)}), batch.target_out.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(data::kPad));
  }
  loss.backward();
  if (settings_.train.clip_norm > 0) {
    if (engine_ == "fused") {
      clip_grad_norm_cpu(model_->parameters(), settings_.train.clip_norm);
    } else {
      clip_grad_norm(model_->parameters(), settings_.train.clip_norm);
    }
  }
  optimizer_->step();
  return loss.detach();
}

Trainer::StepsMeasured Trainer::train_steps(int first, int count) {
  model_->train();
  StepsMeasured measured;
  auto total = torch::zeros({}, torch::dtype(torch::kFloat64).device(device_));
  for (int step = first; step < first + count; ++step)
    total += train_step(step, &measured).to(torch::kFloat64);
  measured.mean_loss = count > 0 ? total.item<double>() / count : 0;
  return measured;
}

void Trainer::read_window(std::int64_t step) {
  window_loss_ = window_sum_.item<double>();
  const double mean = window_ > 0 ? window_loss_ / window_ : 0;
  if (!std::isfinite(mean) || mean > diverged_loss_) {
    std::ostringstream why;
    // A NaN's sign depends on the kernel that made it; say just "nan".
    why << "training diverged: the mean loss of the steps up to step " << step << " is ";
    if (std::isnan(mean)) {
      why << "nan";
    } else {
      why << mean;
    }
    if (std::isfinite(mean)) {
      why << ", past " << kExplodedLoss << " times that of guessing uniformly (" << diverged_loss_
          << ")";
    }
    why << " (try a lower train.lr)";
    throw Diverged(why.str());
  }
}

bool Trainer::evaluate_dev(int step, std::vector<store::MetricPoint>* points) {
  // Decoding draws no random numbers, so the run trains exactly as without it.
  const auto scores = greedy_scores(*model_, dev_examples_, *task_, device_);
  points->push_back({step, store::metric::kDevExact, scores.sequence_accuracy});
  points->push_back({step, store::metric::kDevTokenAccuracy, scores.token_accuracy});
  points->push_back({step, store::metric::kDevPerplexity, scores.perplexity});
  Selection& best = selection_;
  const bool better =
      scores.sequence_accuracy > best.exact ||
      (scores.sequence_accuracy == best.exact && scores.token_accuracy > best.token_accuracy);
  const bool tie =
      scores.sequence_accuracy == best.exact && scores.token_accuracy == best.token_accuracy;
  best.stale = better ? 0 : best.stale + 1;
  // A tie moves the choice to the later, longer-trained weights.
  if (better || tie) {
    best.step = step;
    best.exact = scores.sequence_accuracy;
    best.token_accuracy = scores.token_accuracy;
    if (settings_.train.select == "best_dev") best.weights = copies(state_tensors(*model_));
  }
  return settings_.train.patience > 0 && best.stale >= settings_.train.patience;
}

std::string Trainer::checkpoint(int step, double seconds) const {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model, optimizer;
  model_->save(model);
  optimizer_->save(optimizer);
  archive.write("model", model);
  archive.write("optimizer", optimizer);
  archive.write("step", torch::tensor(static_cast<std::int64_t>(step)));
  archive.write("window_loss", torch::tensor(window_loss_, torch::kFloat64));
  archive.write("window", torch::tensor(static_cast<std::int64_t>(window_)));
  archive.write("seconds", torch::tensor(seconds, torch::kFloat64));
  archive.write("config_hash", c10::IValue(identity()));
  archive.write("selection",
                torch::tensor({static_cast<double>(selection_.step), selection_.exact,
                               selection_.token_accuracy, static_cast<double>(selection_.stale)},
                              torch::kFloat64));
  torch::serialize::OutputArchive best;
  for (size_t i = 0; i < selection_.weights.size(); ++i)
    best.write(std::to_string(i), selection_.weights[i]);
  archive.write("selected_weights", best);
  // Dropout draws from the default generator: without its state a resumed
  // run would drop other units.
  auto generator = torch::globalContext().defaultGenerator(torch::kCPU);
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    archive.write("generator", generator.get_state());
  }
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

int Trainer::restore(const std::string& state) {
  std::istringstream in(state);
  torch::serialize::InputArchive archive;
  archive.load_from(in, device_);
  c10::IValue hash;
  archive.read("config_hash", hash);
  if (!hash.isString() || hash.toStringRef() != identity()) {
    throw std::runtime_error("the checkpoint belongs to another config or other data");
  }
  torch::Tensor step, window_loss, window, seconds, generator_state, selection;
  torch::serialize::InputArchive model, optimizer, best;
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  archive.read("selection", selection);
  archive.read("selected_weights", best);
  const auto chosen = selection.accessor<double, 1>();
  selection_.step = static_cast<int>(chosen[0]);
  selection_.exact = chosen[1];
  selection_.token_accuracy = chosen[2];
  selection_.stale = static_cast<int>(chosen[3]);
  selection_.weights.clear();
  while (true) {
    torch::Tensor t;  // a fresh one each time: try_read() writes into a defined tensor
    if (!best.try_read(std::to_string(selection_.weights.size()), t)) break;
    selection_.weights.push_back(t);
  }
  model_->load(model);
  optimizer_->load(optimizer);
  archive.read("step", step);
  archive.read("window_loss", window_loss);
  archive.read("window", window);
  archive.read("seconds", seconds);
  archive.read("generator", generator_state);
  auto generator = torch::globalContext().defaultGenerator(torch::kCPU);
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(generator_state.to(torch::kCPU));
  }
  done_steps_ = static_cast<int>(step.item<std::int64_t>());
  window_loss_ = window_loss.item<double>();
  window_ = static_cast<int>(window.item<std::int64_t>());
  earlier_seconds_ = seconds.item<double>();
  return done_steps_;
}

std::vector<store::MetricPoint> Trainer::close_window(int step, TrainResult* result) {
  read_window(step);
  result->final_loss = window_loss_ / window_;
  std::vector<store::MetricPoint> points = {
      {step, store::metric::kTrainLoss, result->final_loss},
      {step, store::metric::kLearningRate, scheduled_lr(settings_.train, step)}};
  window_loss_ = 0;
  window_ = 0;
  window_sum_.zero_();
  return points;
}

void Trainer::evaluate_selected(TrainResult* result) {
  if (settings_.train.select == "best_dev" && !selection_.weights.empty()) {
    torch::NoGradGuard no_grad;
    const auto tensors = state_tensors(*model_);
    for (size_t i = 0; i < tensors.size(); ++i)
      tensors[i].copy_(selection_.weights[i]);
    result->selected_step = selection_.step;
  }
  Evaluation evaluation = evaluate(*model_, *task_, settings_, device_);
  result->evals = std::move(evaluation.lengths);
  result->splits = std::move(evaluation.splits);
  result->examples = std::move(evaluation.examples);
}

TrainResult Trainer::run(const TrainCallbacks& callbacks) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto seconds = [&] {
    return earlier_seconds_ + std::chrono::duration<double>(Clock::now() - start).count();
  };
  TrainResult result;
  model_->train();
  window_sum_ = torch::full({}, window_loss_, torch::dtype(torch::kFloat64).device(device_));
  const auto& train = settings_.train;
  int step = done_steps_;
  for (bool last = step >= train.steps; !last;) {
    ++step;
    if (callbacks.should_stop && callbacks.should_stop()) {
      throw Interrupted("interrupted at step " + std::to_string(step) + " of " +
                        std::to_string(train.steps));
    }
    // The loss stays on the device until a log point or a checkpoint reads
    // it: no wait for the GPU inside the step. Summed in fp64 in step order,
    // as a host-side sum would be.
    window_sum_ += train_step(step).to(torch::kFloat64);
    ++window_;
    last = step == train.steps;
    std::vector<store::MetricPoint> points, dev_points;
    if (train.eval_every > 0 && (step % train.eval_every == 0 || last) && !dev_examples_.empty()) {
      last = evaluate_dev(step, &dev_points) || last;  // early stopping ends training here
    }
    if (step % train.log_every == 0 || last) {
      points = close_window(step, &result);
      points.push_back({step, store::metric::kElapsedSeconds, seconds()});
    }
    points.insert(points.end(), dev_points.begin(), dev_points.end());
    if (!points.empty() && callbacks.on_metrics) callbacks.on_metrics(points);
    const int every = train.checkpoint_every;
    if (every > 0 && step % every == 0 && !last && callbacks.on_checkpoint) {
      read_window(step);
      callbacks.on_checkpoint(step, checkpoint(step, seconds()));
    }
  }
  result.train_seconds = seconds();
  result.trained_steps = step;
  result.steps_per_second = result.train_seconds > 0 ? step / result.train_seconds : 0;
  result.flops_per_step = counted_steps_ > 0 ? counted_flops_ / counted_steps_ : 0;
  result.selected_step = step;
  evaluate_selected(&result);
  return result;
}

}  // namespace attnlab::train
