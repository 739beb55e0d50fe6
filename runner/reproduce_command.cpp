// `attnlab reproduce RUN_ID`: trains a stored run again from its stored
// config and seed (nothing is written to the database) and compares every
// recorded number: the training curve at each logged step and the scores at
// each length and split. With the same code, data, LibTorch, BLAS kernel and
// thread count the numbers are identical, and any difference fails. Where
// one of those differs, bit-identity is not promised (another kernel rounds
// every product differently): it says so, and judges each score against the
// spread that changing the seed gives the same setting in this database.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "runner/common.h"
#include "store/run_store.h"
#include "train/environment.h"
#include "train/trainer.h"

namespace attnlab::runner {
namespace {

struct Tally {
  int compared = 0;
  int differing = 0;
  int outside_spread = 0;  // differing scores beyond the seed spread
  int unjudged = 0;        // differing scores without a seed spread to judge by
};

// The values a score takes over runs that differ from the reproduced one
// only in their seed: its seed spread.
using Spread = std::map<std::string, std::vector<double>>;

// What besides the seed makes a run: its settings, flattened, without "seed".
std::map<std::string, std::string> settings_but_seed(store::RunStore& store,
                                                     const std::string& run_id) {
  auto settings = settings_of(store, run_id);
  settings.erase("seed");
  return settings;
}

void add_scores(const std::string& where, const store::Scores& s, Spread* spread) {
  (*spread)["token_accuracy@" + where].push_back(s.token_accuracy);
  (*spread)["sequence_accuracy@" + where].push_back(s.sequence_accuracy);
  (*spread)["error_rate@" + where].push_back(s.error_rate);
  if (!std::isnan(s.bleu)) (*spread)["bleu@" + where].push_back(s.bleu);
  (*spread)["perplexity@" + where].push_back(s.perplexity);
}

// Every score of the finished runs of this setting with another seed, and the
// stored run's own, by name ("sequence_accuracy@13", "bleu@test").
Spread seed_spread(store::RunStore& store, const store::RunRecord& run) {
  Spread spread;
  const auto mine = settings_but_seed(store, run.run_id);
  for (const auto& other : store.list_runs()) {
    if (other.status != store::RunStatus::kFinished || other.run.task != run.run.task ||
        other.run.attention != run.run.attention || other.run.seed == run.run.seed ||
        settings_but_seed(store, other.run_id) != mine) {
      continue;
    }
    for (const auto& e : store.evals(other.run_id))
      add_scores(std::to_string(e.length), e, &spread);
    for (const auto& s : store.splits(other.run_id))
      add_scores(s.split, s, &spread);
  }
  return spread;
}

std::string number(double x, int precision = 10) {
  std::ostringstream out;
  out << std::setprecision(precision) << x;
  return out.str();
}

// Compares one number. A score that differs is judged against `seeds` when
// that is given (null: a training metric, or bit-identity is promised).
void compare(const std::string& name, double stored, double again, const Spread* seeds,
             Tally* tally) {
  ++tally->compared;
  if (stored == again || (std::isnan(stored) && std::isnan(again))) return;  // NaN: undefined
  ++tally->differing;
  std::cout << "  differs: " << std::left << std::setw(26) << name << std::right << std::setw(14)
            << number(stored) << " -> " << std::setw(14) << number(again) << "  ("
            << number(again - stored, 3) << ")";
  if (seeds != nullptr) {
    const auto found = seeds->find(name);
    if (found == seeds->end() || found->second.empty()) {
      ++tally->unjudged;
      std::cout << "  no other seed to judge by";
    } else {
      std::vector<double> values = found->second;
      values.push_back(stored);
      const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
      const double range = *hi - *lo;
      const bool within = std::fabs(again - stored) <= range;
      tally->outside_spread += !within;
      std::cout << (within ? "  within" : "  OUTSIDE") << " the seed spread (" << number(range, 3)
                << " over " << values.size() << " seeds)";
    }
  }
  std::cout << "\n";
}

// The environment differences that void bit-identity, one line each.
std::vector<std::string> environment_differences(const store::RunRecord& stored,
                                                 const store::Environment& now,
                                                 const std::string& data_now) {
  std::vector<std::string> out;
  for (const auto& d :
       differences(stored.run.environment, stored.run.data_identity, now, data_now)) {
    if (d.what != "host" && d.what != "device" && d.what != "attnlab") {
      out.push_back(d.what + ": " + d.first + " then, " + d.second + " now");
    }
  }
  return out;
}

// What the database holds of the run to reproduce.
struct Stored {
  store::RunRecord run;
  std::vector<store::MetricPoint> metrics;
  std::vector<store::LengthEval> evals;
  std::vector<store::SplitScores> splits;
  Spread seeds;  // its setting's other seeds
};

Stored load_stored(const GlobalOptions& globals, const std::string& id) {
  store::RunStore store = open_results_read_only(globals);
  const auto found = store.find_run(id);
  if (!found) {
    throw UsageError("no run '" + id + "' in " + globals.db.string() +
                     " (list them with `attnlab ls runs`)");
  }
  if (found->status != store::RunStatus::kFinished) {
    throw UsageError("run " + found->run_id + " is " + store::status_name(found->status) +
                     "; only finished runs have numbers to compare");
  }
  return {*found, store.metrics(found->run_id), store.evals(found->run_id),
          store.splits(found->run_id), seed_spread(store, *found)};
}

// Says whether bit-identity is promised (nothing in `differences`) or why not.
void print_promise(const std::vector<std::string>& differences) {
  if (differences.empty()) {
    std::cout << "  same code, data, LibTorch, BLAS kernel, threads and CPU: every number "
                 "should be identical\n";
    return;
  }
  std::cout << "  bit-identity is not promised here, because these differ:\n";
  for (const auto& d : differences)
    std::cout << "    " << d << "\n";
  std::cout << "  each differing score is judged against its seed spread (the range it takes "
               "over this setting's other seeds in the database)\n";
}

// Every metric the training loop records but the clock's: training losses
// and the learning curve (not the run's cost: speed, FLOPs, device peak).
bool compared_metric(const store::MetricPoint& p) {
  return p.name != store::metric::kElapsedSeconds && p.name != store::metric::kStepsPerSecond &&
         p.name != store::metric::kFlopsPerStep && p.name != store::metric::kPeakGflops;
}

using Curves = std::map<std::pair<std::string, int>, double>;  // (name, step) -> value

// Compares the stored training curve with the new one; returns how many
// metrics were compared.
int compare_curves(const std::vector<store::MetricPoint>& stored, const Curves& again,
                   Tally* curve) {
  int metrics = 0;
  for (const auto& m : stored) {
    if (!compared_metric(m)) continue;
    ++metrics;
    const auto found = again.find({m.name, m.step});
    if (found == again.end()) {
      std::cout << "  missing: " << m.name << " at step " << m.step << "\n";
      ++curve->compared;
      ++curve->differing;
      continue;
    }
    compare(m.name + "@" + std::to_string(m.step), m.value, found->second, nullptr, curve);
  }
  return metrics;
}

// Compares every score at each length and split; a difference is judged by
// `judge` (the seed spread) unless it is null.
void compare_all_scores(const Stored& stored, const train::TrainResult& result, const Spread* judge,
                        Tally* scores) {
  const auto compare_scores = [&](const std::string& where, const store::Scores& before,
                                  const store::Scores& after) {
    compare("token_accuracy@" + where, before.token_accuracy, after.token_accuracy, judge, scores);
    compare("sequence_accuracy@" + where, before.sequence_accuracy, after.sequence_accuracy, judge,
            scores);
    compare("error_rate@" + where, before.error_rate, after.error_rate, judge, scores);
    compare("bleu@" + where, before.bleu, after.bleu, judge, scores);
    if (before.perplexity > 0) {  // measured since schema 8
      compare("perplexity@" + where, before.perplexity, after.perplexity, judge, scores);
    }
  };
  std::map<int, store::LengthEval> evals;
  for (const auto& e : result.evals)
    evals[e.length] = e;
  for (const auto& e : stored.evals)
    compare_scores(std::to_string(e.length), e, evals[e.length]);
  std::map<std::string, store::SplitScores> splits;
  for (const auto& split : result.splits)
    splits[split.split] = split;
  for (const auto& split : stored.splits)
    compare_scores(split.split, split, splits[split.split]);
}

// Prints the verdict; throws RunFailed when the numbers do not reproduce.
void judge(const Stored& stored, bool promised, int metrics, const Tally& curve,
           const Tally& scores) {
  const int compared = curve.compared + scores.compared;
  const int differing = curve.differing + scores.differing;
  if (differing == 0) {
    const size_t rows = stored.evals.size() + stored.splits.size();
    std::cout << "identical: all " << compared << " numbers (" << metrics << " training metrics, "
              << stored.evals.size() << " lengths and " << stored.splits.size() << " split(s) x "
              << (scores.compared / std::max<size_t>(1, rows))
              << " scores) match to the last digit\n";
    return;
  }
  const std::string counted = std::to_string(differing) + " of " + std::to_string(compared) +
                              " numbers differ from run " + stored.run.run_id;
  if (promised) throw RunFailed(counted + " in the same environment: not reproduced");
  if (scores.outside_spread > 0) {
    throw RunFailed(counted + "; " + std::to_string(scores.outside_spread) +
                    " score(s) moved by more than the seed spread");
  }
  if (scores.unjudged > 0) {
    throw RunFailed(counted +
                    "; the database holds no other seed of this setting to judge them "
                    "by (run the setting with more seeds, e.g. seed=1,2,3)");
  }
  std::cout << "consistent: " << counted << " (" << curve.differing
            << " on the training curve), every score within its seed spread, as expected "
               "where the environment differs\n";
}

void reproduce(const GlobalOptions& globals, const std::string& id) {
  const Stored stored = load_stored(globals, id);
  const ComposedConfig job = job_from_yaml(stored.run.run.config_yaml, "run " + stored.run.run_id);
  const auto& s = job.settings;
  const std::string device = prepare_device(s);
  const auto env = train::configure_environment(s.threads, device);
  const auto task = task_of(s.task);
  std::cout << "reproducing run " << stored.run.run_id << " (" << s.train.steps << " steps, "
            << env.threads << " thread(s) on " << device << "); nothing is stored\n";
  const auto differences = environment_differences(stored.run, env, task->data_identity());
  print_promise(differences);

  Curves curves;
  train::TrainCallbacks callbacks;
  callbacks.on_metrics = [&](const std::vector<store::MetricPoint>& points) {
    for (const auto& p : points) {
      if (compared_metric(p)) curves[{p.name, p.step}] = p.value;
    }
  };
  train::Trainer trainer(s, torch::Device(device), task);
  const train::TrainResult result = trainer.run(callbacks);

  Tally curve, scores;
  const int metrics = compare_curves(stored.metrics, curves, &curve);
  const bool promised = differences.empty();
  compare_all_scores(stored, result, promised ? nullptr : &stored.seeds, &scores);
  judge(stored, promised, metrics, curve, scores);
}

}  // namespace

void add_reproduce_command(CLI::App& app, GlobalOptions& globals) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "reproduce", "Train a stored run again from its config and seed and compare every number.");
  cmd->add_option("run_id", *id, "the run's id, or a unique prefix of it")->required();
  cmd->footer(
      "Nothing is written to the database. In the run's own environment (code, data,\n"
      "LibTorch, BLAS kernel, threads, CPU) every number must match to the last digit.\n"
      "Where any of those differ, bit-identity is not promised: each differing score is\n"
      "judged against its seed spread, the range the same setting takes over its other\n"
      "seeds in the database. Exit codes: 0 identical, or (another environment) every\n"
      "score within its seed spread; 1 a difference in the same environment, a score\n"
      "beyond its seed spread, or no other seed to judge by; 2 no such run, or it did\n"
      "not finish.");
  cmd->callback([&globals, id] { reproduce(globals, *id); });
}

}  // namespace attnlab::runner
