// `attnlab diff A B`: two runs side by side: the settings that differ, the
// environment that differs, and every score per length and per split, with
// B - A.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

// Prints rows of text in columns as wide as their content, the first
// left-aligned and the rest right-aligned.
void print_columns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::cout << " ";
    for (size_t i = 0; i < row.size(); ++i) {
      std::cout << " " << (i == 0 ? std::left : std::right)
                << std::setw(static_cast<int>(widths[i])) << row[i];
    }
    std::cout << std::right << "\n";
  }
}

void print_settings(store::RunStore& store, const store::RunRecord& a, const store::RunRecord& b) {
  const auto first = settings_of(store, a.run_id), second = settings_of(store, b.run_id);
  std::set<std::string> keys;
  for (const auto& [key, value] : first)
    keys.insert(key);
  for (const auto& [key, value] : second)
    keys.insert(key);
  std::vector<std::vector<std::string>> rows = {{"setting", "A", "B"}};
  for (const auto& key : keys) {
    const auto x = first.find(key), y = second.find(key);
    const std::string u = x == first.end() ? "-" : x->second;
    const std::string v = y == second.end() ? "-" : y->second;
    if (u != v) rows.push_back({key, u, v});
  }
  if (rows.size() == 1) {
    std::cout << "settings: the same\n";
    return;
  }
  std::cout << "settings that differ:\n";
  print_columns(rows);
}

void print_environment(const store::RunRecord& a, const store::RunRecord& b) {
  const auto found =
      differences(a.run.environment, a.run.data_identity, b.run.environment, b.run.data_identity);
  if (found.empty()) {
    std::cout << "environment: the same\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"environment", "A", "B"}};
  for (const auto& d : found)
    rows.push_back({d.what, d.first.empty() ? "-" : d.first, d.second.empty() ? "-" : d.second});
  std::cout << "environment that differs:\n";
  print_columns(rows);
}

std::string fixed(double x, int digits, bool sign = false) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << (sign ? std::showpos : std::noshowpos) << x;
  return out.str();
}

// The scores of one bucket (a length or a split) of both runs, one row per
// score: A, B and B - A. Percentages for accuracies and error rates.
void add_rows(const std::string& bucket, const store::Scores* a, const store::Scores* b,
              std::vector<std::vector<std::string>>* rows) {
  struct Score {
    const char* name;
    double store::Scores::*field;
    double scale;
  };
  static const Score kScores[] = {{"exact match %", &store::Scores::sequence_accuracy, 100},
                                  {"token accuracy %", &store::Scores::token_accuracy, 100},
                                  {"error rate %", &store::Scores::error_rate, 100},
                                  {"BLEU", &store::Scores::bleu, 1},
                                  {"perplexity", &store::Scores::perplexity, 1}};
  for (const auto& score : kScores) {
    const auto text = [&](const store::Scores* s) {
      return s == nullptr ? std::string("-") : fixed(s->*score.field * score.scale, 2);
    };
    rows->push_back(
        {bucket, score.name, std::to_string(a ? a->n : b->n), text(a), text(b),
         a && b ? fixed((b->*score.field - a->*score.field) * score.scale, 2, true) : "-"});
  }
}

template <typename T, typename Key>
std::map<Key, const T*> by(const std::vector<T>& items, Key T::*key) {
  std::map<Key, const T*> out;
  for (const auto& item : items)
    out[item.*key] = &item;
  return out;
}

void print_scores(store::RunStore& store, const store::RunRecord& a, const store::RunRecord& b) {
  const auto evals_a = store.evals(a.run_id), evals_b = store.evals(b.run_id);
  const auto splits_a = store.splits(a.run_id), splits_b = store.splits(b.run_id);
  if (evals_a.empty() && evals_b.empty()) {
    std::cout << "scores: neither run has any (only finished runs are evaluated)\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {{"length", "score", "n", "A", "B", "B - A"}};
  const auto la = by(evals_a, &store::LengthEval::length),
             lb = by(evals_b, &store::LengthEval::length);
  std::set<int> lengths;
  for (const auto& [length, e] : la)
    lengths.insert(length);
  for (const auto& [length, e] : lb)
    lengths.insert(length);
  for (const int length : lengths) {
    const auto x = la.find(length), y = lb.find(length);
    add_rows(std::to_string(length), x == la.end() ? nullptr : x->second,
             y == lb.end() ? nullptr : y->second, &rows);
  }
  const auto sa = by(splits_a, &store::SplitScores::split),
             sb = by(splits_b, &store::SplitScores::split);
  std::set<std::string> splits;
  for (const auto& [split, s] : sa)
    splits.insert(split);
  for (const auto& [split, s] : sb)
    splits.insert(split);
  for (const auto& split : splits) {
    const auto x = sa.find(split), y = sb.find(split);
    add_rows(split, x == sa.end() ? nullptr : x->second, y == sb.end() ? nullptr : y->second,
             &rows);
  }
  std::cout << "scores (per length, then whole splits; n: examples):\n";
  print_columns(rows);
}

void diff(const GlobalOptions& globals, const std::string& first, const std::string& second) {
  store::RunStore store = open_results_read_only(globals);
  const store::RunRecord a = find_run(store, globals, first), b = find_run(store, globals, second);
  std::cout << "A: run " << a.run_id << " (" << store::status_name(a.status) << ", "
            << a.run.attention << " attention, seed " << a.run.seed << ")\n"
            << "B: run " << b.run_id << " (" << store::status_name(b.status) << ", "
            << b.run.attention << " attention, seed " << b.run.seed << ")\n";
  print_settings(store, a, b);
  print_environment(a, b);
  print_scores(store, a, b);
}

}  // namespace

void add_diff_command(CLI::App& app, GlobalOptions& globals) {
  auto ids = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Compare two runs: settings and environment that differ, every score with B - A.");
  cmd->add_option("run_a", ids->first, "run A: its id, or a unique prefix of it")->required();
  cmd->add_option("run_b", ids->second, "run B: its id, or a unique prefix of it")->required();
  cmd->footer(
      "Example:\n"
      "  attnlab diff 3f2a9c1b7e 8d0e4a6c21\n"
      "Exit codes: 0 compared, 2 a run that is not there (or an ambiguous prefix).");
  cmd->callback([&globals, ids] { diff(globals, ids->first, ids->second); });
}

}  // namespace attnlab::runner
