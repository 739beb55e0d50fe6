// `attnlab ls [sweeps|runs] [--sweep ID] [--status S]`: what the database
// holds, with status. A 'running' run whose process is gone shows as
// 'interrupted?' until a writing command records it.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct LsOptions {
  std::string what = "runs";
  std::string sweep;   // only this sweep's runs (id or prefix)
  std::string status;  // only runs with this status
};

using Row = std::vector<std::string>;

// Prints rows with each column as wide as its widest cell; a row with fewer
// cells (a queued job) lets its last one run on.
void print_rows(const std::vector<Row>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (row.size() > width.size()) width.resize(row.size(), 0);
    for (size_t c = 0; c + 1 < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      std::cout << row[c];
      if (c + 1 < row.size()) std::cout << std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::cout << "\n";
  }
}

void list_sweeps(store::RunStore& store) {
  std::vector<Row> rows = {
      {"sweep", "status", "launcher", "jobs", "finished", "failed", "created"}};
  for (const auto& w : store.list_sweeps()) {
    rows.push_back({w.sweep_id, store::status_name(w.status), w.launcher, std::to_string(w.n_jobs),
                    std::to_string(w.finished), std::to_string(w.failed), w.created_at});
  }
  print_rows(rows);
}

// The jobs of a sweep's plan that have no run yet: queued.
void add_queued(store::RunStore& store, const std::string& sweep_id,
                const std::vector<store::RunRecord>& runs, std::vector<Row>* rows) {
  std::set<std::string> started;
  for (const auto& r : runs)
    started.insert(r.run.config_hash);
  for (const auto& job : store.sweep_plan(sweep_id)) {
    if (started.count(job.config_hash) == 0) {
      rows->push_back({"-", "queued", store::json_strings(job.overrides)});
    }
  }
}

Row run_row(const store::RunRecord& r) {
  // A running run whose process is gone, not yet marked by a command that writes.
  const std::string status =
      store::process_vanished(r) ? "interrupted?" : store::status_name(r.status);
  std::ostringstream seconds;
  seconds << std::fixed << std::setprecision(0) << r.wall_seconds;
  return {r.run_id,
          status,
          r.run.attention,
          r.run.decoder.empty() || r.run.decoder == r.run.model ? r.run.model
                                                                : r.run.model + "/" + r.run.decoder,
          std::to_string(r.run.hidden_size),
          std::to_string(r.run.train_min_length) + "-" + std::to_string(r.run.train_max_length),
          seconds.str(),
          r.started_at,
          r.run.sweep_id};
}

void list(const GlobalOptions& globals, const LsOptions& options) {
  store::RunStore store = open_results_read_only(globals);
  if (options.what == "sweeps") return list_sweeps(store);
  std::vector<Row> rows = {
      {"run", "status", "attention", "model", "H", "train", "seconds", "started", "sweep"}};
  std::vector<store::RunRecord> runs;
  if (options.sweep.empty()) {
    runs = store.list_runs();
  } else {
    const auto sweep = store.find_sweep(options.sweep);
    if (!sweep)
      throw UsageError("no sweep '" + options.sweep + "' (list them with `attnlab ls sweeps`)");
    runs = store.sweep_runs(sweep->sweep_id);
    if (options.status.empty() || options.status == "queued") {
      add_queued(store, sweep->sweep_id, runs, &rows);
    }
  }
  for (const auto& r : runs) {
    if (options.status.empty() || store::status_name(r.status) == options.status) {
      rows.push_back(run_row(r));
    }
  }
  print_rows(rows);
}

}  // namespace

void add_ls_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<LsOptions>();
  CLI::App* cmd = app.add_subcommand("ls", "List the sweeps or runs in the database.");
  cmd->add_option("what", options->what, "sweeps or runs")
      ->check(CLI::IsMember({"sweeps", "runs"}))
      ->capture_default_str();
  cmd->add_option("--sweep", options->sweep, "runs: only this sweep's (id or unique prefix)");
  cmd->add_option("--status", options->status, "runs: only those with this status")
      ->check(CLI::IsMember([] {
        auto names = store::run_statuses().names();
        names.insert(names.begin(), "queued");  // a planned job without a run
        return names;
      }()));
  cmd->callback([&globals, options] { list(globals, *options); });
}

}  // namespace attnlab::runner
