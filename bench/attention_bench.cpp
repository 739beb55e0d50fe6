// Micro-benchmarks. The scorer grid: each scorer's forward (project the keys,
// one attention read) and forward + backward, for batch 64, source lengths
// S in {16, 64, 256} and hidden sizes H in {128, 512}. Then whole training
// steps of the default model. Threads are set explicitly, as in a run:
// LibTorch otherwise starts with one.
//
//   build/attnlab_bench --benchmark_filter='Scorer/'   the grid only
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "attention/registry.h"
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
  for (auto _ : state) {
    if (backward) {
      const auto r = scorer->read(query, scorer->project_keys(memory), memory, mask);
      r.context.sum().backward();
      benchmark::DoNotOptimize(query.grad().data_ptr<float>());
    } else {
      torch::NoGradGuard no_grad;
      const auto r = scorer->read(query, scorer->project_keys(memory), memory, mask);
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
