// Micro-benchmarks. The scorer grid: each scorer's forward (project the keys,
// one attention read) and forward + backward, for batch 64, source lengths
// S in {16, 64, 256} and hidden sizes H in {128, 512}. Then whole training
// steps of the default model, one Luong decoder step, and one training step
// on each engine (models/fused_engine.h). Threads are set explicitly, as in
// a run: LibTorch otherwise starts with one.
//
//   build/attnlab_bench --benchmark_filter='Scorer/'       the grid only
//   build/attnlab_bench --benchmark_filter='EngineStep'    both engines
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "attention/registry.h"
#include "models/luong_decoder.h"
#include "train/environment.h"
#include "train/trainer.h"

namespace {

using attnlab::attention::make_scorer;
using attnlab::attention::ScorerOptions;

constexpr int kBatch = 64;

// state.range(0) = S, state.range(1) = H.
void ScorerRead(benchmark::State& state, const std::string& name, bool backward) {
  torch::set_num_threads(1);
  const auto s = state.range(0);
  const auto h = state.range(1);
  torch::manual_seed(0);
  ScorerOptions options;
  options.query_size = static_cast<int>(h);
  options.memory_size = static_cast<int>(h);
  options.max_source_length = static_cast<int>(s);
  options.heads = 8;
  auto scorer = make_scorer(name, options);
  const auto memory = torch::randn({kBatch, s, h}).requires_grad_(backward);
  const auto query = torch::randn({kBatch, h}).requires_grad_(backward);
  const auto mask = torch::ones({kBatch, s}, torch::kBool);
  const std::int64_t step = s / 2;  // local attention: a window in the middle
  for (auto _ : state) {
    if (backward) {
      const auto r = scorer->read(query, scorer->project_keys(memory), memory, mask, step);
      r.context.sum().backward();
      benchmark::DoNotOptimize(query.grad().data_ptr<float>());
    } else {
      torch::NoGradGuard no_grad;
      const auto r = scorer->read(query, scorer->project_keys(memory), memory, mask, step);
      benchmark::DoNotOptimize(r.context.data_ptr<float>());
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void register_scorer_grid() {
  for (const auto& name : attnlab::attention::attention_names()) {
    if (name == "none") continue;
    for (const bool backward : {false, true}) {
      const std::string label = "Scorer/" + name + (backward ? "/forward_backward" : "/forward");
      auto* b = benchmark::RegisterBenchmark(label.c_str(), ScorerRead, name, backward);
      b->ArgNames({"S", "H"})->Unit(benchmark::kMicrosecond);
      for (const int s : {16, 64, 256}) {
        for (const int h : {128, 512})
          b->Args({s, h});
      }
    }
  }
}

// One step of the library's Luong decoder (GRU cell, input feeding, `general`
// score) over a batch of 64 and 30 source positions; state.range(0) = H.
void LuongDecoderStep(benchmark::State& state, bool backward) {
  torch::set_num_threads(2);
  const auto h = state.range(0);
  torch::manual_seed(0);
  ScorerOptions scorer_options;
  scorer_options.query_size = static_cast<int>(h);
  scorer_options.memory_size = static_cast<int>(h);
  scorer_options.max_source_length = 30;
  attnlab::models::DecoderOptions options;
  options.vocab_size = 32;
  options.embedding_size = static_cast<int>(h);
  options.hidden_size = static_cast<int>(h);
  attnlab::models::LuongDecoderImpl decoder(options, make_scorer("general", scorer_options));
  const auto states = torch::randn({kBatch, 30, h}).requires_grad_(backward);
  const auto mask = torch::ones({kBatch, 30}, torch::kBool);
  const auto embedded = torch::randn({kBatch, h});
  for (auto _ : state) {
    torch::AutoGradMode grad(backward);
    const auto memory = decoder.prepare(states, mask);
    auto decoder_state = decoder.initial_state(states.select(1, 29), torch::Tensor());
    const auto out = decoder.step(embedded, decoder_state, memory);
    if (backward) out.features.sum().backward();
    benchmark::DoNotOptimize(out.features.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK_CAPTURE(LuongDecoderStep, forward, false)
    ->ArgName("H")
    ->Arg(256)
    ->Arg(512)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(LuongDecoderStep, forward_backward, true)
    ->ArgName("H")
    ->Arg(256)
    ->Arg(512)
    ->Unit(benchmark::kMicrosecond);

// One training step of the default model (its settings' defaults, as
// `attnlab run` trains it: batch, schedule, clipping, Adam) on one engine,
// one thread; state.range(0) = H. Items are steps.
void EngineStep(benchmark::State& state, const std::string& engine) {
  torch::set_num_threads(1);
  attnlab::config::RunSettings s;
  s.model.hidden_size = static_cast<int>(state.range(0));
  s.train.batch_size = 32;
  s.train.engine = engine;
  attnlab::train::Trainer trainer(s, torch::kCPU);
  int step = 1;
  for (auto _ : state)
    benchmark::DoNotOptimize(trainer.train_steps(step++, 1).mean_loss);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(EngineStep, fused, std::string("fused"))
    ->ArgName("H")
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(EngineStep, modules, std::string("modules"))
    ->ArgName("H")
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond);

// Whole training runs of 50 steps of the default reverse setup; items are steps.
void TrainSteps(benchmark::State& state, const std::string& model, const std::string& attention) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  attnlab::config::RunSettings s;
  s.task.train_lengths = {1, 15};
  s.task.test_lengths = {1, 1};
  s.task.eval_examples = 1;
  s.model.name = model;
  s.attention.name = attention;
  if (model == "transformer") {
    s.model.layers = 2;
    s.model.dropout = 0.1;
  }
  s.train.steps = 50;
  s.train.lr = 0.003;
  s.train.log_every = 50;
  for (auto _ : state) {
    attnlab::train::Trainer trainer(s, torch::kCPU);
    trainer.run({});
  }
  state.SetItemsProcessed(state.iterations() * s.train.steps);
}
BENCHMARK_CAPTURE(TrainSteps, none, std::string("rnn"), std::string("none"))
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TrainSteps, additive, std::string("rnn"), std::string("additive"))
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TrainSteps, transformer, std::string("transformer"), std::string("multihead"))
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  attnlab::train::keep_freed_memory();  // as `attnlab run` does
  register_scorer_grid();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
