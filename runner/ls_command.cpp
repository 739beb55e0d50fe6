// `attnlab ls [sweeps|runs] [--sweep ID] [--status S]`: what the database
// holds, with status. A 'running' run whose process is gone shows as
// 'interrupted?' until a writing command records it.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <set>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct LsOptions {
  std::string what = "runs";
  std::string sweep;   // only this sweep's runs (id or prefix)
  std::string status;  // only runs with this status
};

void list_sweeps(store::RunStore& store) {
  const auto sweeps = store.list_sweeps();
  size_t id_width = 34;  // ids grow with the experiment's name
  for (const auto& w : sweeps)
    id_width = std::max(id_width, w.sweep_id.size() + 2);
  const int width = static_cast<int>(id_width);
  std::cout << std::left << std::setw(width) << "sweep" << std::setw(11) << "status" << std::setw(9)
            << "launcher" << std::setw(7) << "jobs" << std::setw(10) << "finished" << std::setw(8)
            << "failed"
            << "created\n";
  for (const auto& w : sweeps) {
    std::cout << std::left << std::setw(width) << w.sweep_id << std::setw(11)
              << store::status_name(w.status) << std::setw(9) << w.launcher << std::setw(7)
              << w.n_jobs << std::setw(10) << w.finished << std::setw(8) << w.failed << w.created_at
              << "\n";
  }
}

// The runs of one sweep, after a line for each job of its plan that has no
// run yet (queued).
std::vector<store::RunRecord> sweep_runs(store::RunStore& store, const LsOptions& options) {
  const auto sweep = store.find_sweep(options.sweep);
  if (!sweep)
    throw UsageError("no sweep '" + options.sweep + "' (list them with `attnlab ls sweeps`)");
  std::vector<store::RunRecord> runs = store.sweep_runs(sweep->sweep_id);
  std::set<std::string> started;
  for (const auto& r : runs)
    started.insert(r.run.config_hash);
  for (const auto& job : store.sweep_plan(sweep->sweep_id)) {
    if (started.count(job.config_hash) != 0) continue;
    if (!options.status.empty() && options.status != "queued") continue;
    std::cout << std::left << std::setw(14) << "-" << std::setw(11) << "queued"
              << store::json_strings(job.overrides) << "\n";
  }
  return runs;
}

void list(const GlobalOptions& globals, const LsOptions& options) {
  store::RunStore store = open_results_read_only(globals);
  if (options.what == "sweeps") return list_sweeps(store);
  std::cout << std::left << std::setw(14) << "run" << std::setw(11) << "status" << std::setw(11)
            << "attention" << std::setw(12) << "model" << std::setw(7) << "H" << std::setw(9)
            << "train" << std::setw(9) << "seconds" << std::setw(22) << "started"
            << "sweep\n";
  const std::vector<store::RunRecord> runs =
      options.sweep.empty() ? store.list_runs() : sweep_runs(store, options);
  for (auto& r : runs) {
    if (!options.status.empty() && store::status_name(r.status) != options.status) continue;
    // A running run whose process is gone, not yet marked by a command that writes.
    const std::string status =
        store::process_vanished(r) ? "interrupted?" : store::status_name(r.status);
    std::cout << std::left << std::setw(14) << r.run_id << std::setw(11) << status << std::setw(11)
              << r.run.attention << std::setw(12)
              << (r.run.decoder.empty() || r.run.decoder == r.run.model
                      ? r.run.model
                      : r.run.model + "/" + r.run.decoder)
              << std::setw(7) << r.run.hidden_size << std::setw(9)
              << (std::to_string(r.run.train_min_length) + "-" +
                  std::to_string(r.run.train_max_length))
              << std::setw(9) << std::fixed << std::setprecision(0) << r.wall_seconds
              << std::setw(22) << r.started_at << r.run.sweep_id << "\n";
  }
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
