// Micro-benchmarks: one attention read (score + masked softmax + weighted
// sum) per scorer, and one full training step of the default model, at the
// default experiment's sizes (B=64, S=15, H=64). Threads are set explicitly,
// as in a run: LibTorch otherwise starts with one.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "attention/attend.h"
#include "attention/registry.h"
#include "train/trainer.h"

namespace {

using attnlab::attention::attend;
using attnlab::attention::make_scorer;
using attnlab::attention::ScorerOptions;

void AttentionRead(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(1);
  torch::NoGradGuard no_grad;
  constexpr int kB = 64, kS = 15, kH = 64;
  torch::manual_seed(0);
  auto scorer = make_scorer(name, ScorerOptions{kH, kH, kS});
  const auto memory = torch::randn({kB, kS, kH});
  const auto query = torch::randn({kB, kH});
  const auto mask = torch::ones({kB, kS}, torch::kBool);
  const auto keys = scorer->project_keys(memory);
  for (auto _ : state) {
    auto result = attend(scorer->score(query, keys), memory, mask);
    benchmark::DoNotOptimize(result.context.data_ptr<float>());
  }
  state.SetItemsProcessed(state.iterations() * kB);
}
BENCHMARK_CAPTURE(AttentionRead, dot, std::string("dot"));
BENCHMARK_CAPTURE(AttentionRead, general, std::string("general"));
BENCHMARK_CAPTURE(AttentionRead, concat, std::string("concat"));
BENCHMARK_CAPTURE(AttentionRead, location, std::string("location"));
BENCHMARK_CAPTURE(AttentionRead, additive, std::string("additive"));
BENCHMARK_CAPTURE(AttentionRead, scaled_dot, std::string("scaled_dot"));

// Whole training runs of 50 steps of the default reverse setup; items are steps.
void TrainSteps(benchmark::State& state, const std::string& attention) {
  torch::set_num_threads(static_cast<int>(state.range(0)));
  attnlab::config::RunSettings s;
  s.task.train_lengths = {1, 15};
  s.task.test_lengths = {1, 1};
  s.task.eval_examples = 1;
  s.attention.name = attention;
  s.train.steps = 50;
  s.train.lr = 0.003;
  s.train.log_every = 50;
  for (auto _ : state) {
    attnlab::train::Trainer trainer(s, torch::kCPU);
    trainer.run({});
  }
  state.SetItemsProcessed(state.iterations() * s.train.steps);
}
BENCHMARK_CAPTURE(TrainSteps, none, std::string("none"))->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TrainSteps, additive, std::string("additive"))
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
