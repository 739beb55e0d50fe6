// `attnlab reproduce RUN_ID`: trains a stored run again from its stored
// config and seed (nothing is written to the database) and compares every
// recorded number: the training loss at each logged step and the accuracy at
// each length. Identical numbers are expected with the same code, LibTorch,
// thread count and machine; every difference is printed, none is hidden.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

#include "runner/common.h"
#include "store/run_store.h"
#include "train/environment.h"
#include "train/trainer.h"

namespace attnlab::runner {
namespace {

struct Comparison {
  int compared = 0;
  int differing = 0;
  double largest = 0;  // largest absolute difference
};

void compare(const std::string& metric, double stored, double again, Comparison* c) {
  ++c->compared;
  if (stored == again) return;
  ++c->differing;
  const double diff = std::abs(stored - again);
  c->largest = std::max(c->largest, diff);
  std::cout << "  differs: " << std::left << std::setw(28) << metric << std::right
            << std::setprecision(10) << std::setw(16) << stored << " -> " << std::setw(16) << again
            << "  (" << std::setprecision(3) << diff << ")\n";
}

void reproduce(const GlobalOptions& globals, const std::string& id) {
  store::RunRecord stored;
  std::vector<store::MetricPoint> stored_metrics;
  std::vector<store::LengthEval> stored_evals;
  std::vector<store::SplitScores> stored_splits;
  {
    store::RunStore store = open_results_read_only(globals);
    const auto found = store.find_run(id);
    if (!found) {
      throw UsageError("no run '" + id + "' in " + globals.db.string() +
                       " (list them with `attnlab ls runs`)");
    }
    stored = *found;
    stored_metrics = store.metrics(stored.run_id);
    stored_evals = store.evals(stored.run_id);
    stored_splits = store.splits(stored.run_id);
  }
  if (stored.status != "finished") {
    throw UsageError("run " + stored.run_id + " is " + stored.status +
                     "; only finished runs have numbers to compare");
  }
  const Job job = job_from_yaml(stored.run.config_yaml, "run " + stored.run_id);
  const auto& s = job.settings;
  const std::string device = prepare_device(s);
  const auto env = train::configure_environment(s.threads, device);
  const auto& was = stored.run.environment;
  std::cout << "reproducing run " << stored.run_id << " (" << s.train.steps << " steps, "
            << env.threads << " thread(s) on " << device << "); nothing is stored\n";
  for (const auto& [what, before, now] :
       {std::tuple<std::string, std::string, std::string>{"code", was.git_commit, env.git_commit},
        {"LibTorch", was.torch_version, env.torch_version},
        {"threads", std::to_string(was.threads), std::to_string(env.threads)},
        {"CPU", was.cpu, env.cpu},
        {"BLAS", was.blas, env.blas}}) {
    if (!before.empty() && before != now) {
      std::cout << "  note: " << what << " differs (" << before << " then, " << now
                << " now): small differences may follow\n";
    }
  }

  // Every recorded metric but the clock's: training losses and the learning curve.
  const auto compared_metric = [](const store::MetricPoint& p) {
    return p.name != "elapsed_seconds" && p.name != "steps_per_second";
  };
  std::map<std::pair<std::string, int>, double> curves;
  train::TrainCallbacks callbacks;
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    for (const auto& p : points) {
      if (compared_metric(p)) curves[{p.name, p.step}] = p.value;
    }
  };
  train::Trainer trainer(s, torch::Device(device), task_of(s.task));
  const train::TrainResult result = trainer.run(callbacks);

  Comparison c;
  int metrics = 0;
  for (const auto& m : stored_metrics) {
    if (!compared_metric(m)) continue;
    ++metrics;
    const auto again = curves.find({m.name, m.step});
    if (again == curves.end()) {
      std::cout << "  missing: " << m.name << " at step " << m.step << "\n";
      ++c.compared;
      ++c.differing;
      continue;
    }
    compare(m.name + "@" + std::to_string(m.step), m.value, again->second, &c);
  }
  const auto compare_scores = [&](const std::string& where, const store::Scores& stored_scores,
                                  const store::Scores& again) {
    compare("token_accuracy@" + where, stored_scores.token_accuracy, again.token_accuracy, &c);
    compare("sequence_accuracy@" + where, stored_scores.sequence_accuracy, again.sequence_accuracy,
            &c);
    compare("error_rate@" + where, stored_scores.error_rate, again.error_rate, &c);
    compare("bleu@" + where, stored_scores.bleu, again.bleu, &c);
  };
  std::map<int, store::LengthEval> evals;
  for (const auto& e : result.evals)
    evals[e.length] = e;
  for (const auto& e : stored_evals)
    compare_scores(std::to_string(e.length), e, evals[e.length]);
  std::map<std::string, store::SplitScores> splits;
  for (const auto& split : result.splits)
    splits[split.split] = split;
  for (const auto& split : stored_splits)
    compare_scores(split.split, split, splits[split.split]);
  if (c.differing == 0) {
    std::cout << "identical: all " << c.compared << " numbers (" << metrics << " training metrics, "
              << stored_evals.size() << " lengths and " << stored_splits.size()
              << " split(s) x 4 scores) match to the last digit\n";
    return;
  }
  throw RunFailed(std::to_string(c.differing) + " of " + std::to_string(c.compared) +
                  " numbers differ from run " + stored.run_id + " (largest difference " +
                  std::to_string(c.largest) + ")");
}

}  // namespace

void add_reproduce_command(CLI::App& app, GlobalOptions& globals) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "reproduce", "Train a stored run again from its config and seed and compare every number.");
  cmd->add_option("run_id", *id, "the run's id, or a unique prefix of it")->required();
  cmd->footer(
      "Nothing is written to the database. Exit codes: 0 every number is identical, 1 some\n"
      "differ (each is printed), 2 no such run or it did not finish.");
  cmd->callback([&globals, id] { reproduce(globals, *id); });
}

}  // namespace attnlab::runner
