// `attnlab ls [sweeps|runs]`: what the database holds, with status.
#include <iomanip>
#include <iostream>
#include <memory>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

void list(const GlobalOptions& globals, const std::string& what) {
  store::RunStore store = open_results_read_only(globals);
  if (what == "sweeps") {
    std::cout << std::left << std::setw(34) << "sweep" << std::setw(11) << "status" << std::setw(7)
              << "jobs" << std::setw(10) << "finished" << std::setw(8) << "failed"
              << "created\n";
    for (const auto& w : store.list_sweeps()) {
      std::cout << std::left << std::setw(34) << w.sweep_id << std::setw(11) << w.status
                << std::setw(7) << w.n_jobs << std::setw(10) << w.finished << std::setw(8)
                << w.failed << w.created_at << "\n";
    }
    return;
  }
  std::cout << std::left << std::setw(14) << "run" << std::setw(11) << "status" << std::setw(11)
            << "attention" << std::setw(12) << "model" << std::setw(7) << "H" << std::setw(9)
            << "train" << std::setw(9) << "seconds" << std::setw(22) << "started"
            << "sweep\n";
  for (const auto& r : store.list_runs()) {
    std::cout << std::left << std::setw(14) << r.run_id << std::setw(11) << r.status
              << std::setw(11) << r.run.attention << std::setw(12)
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
  auto what = std::make_shared<std::string>("runs");
  CLI::App* cmd = app.add_subcommand("ls", "List the sweeps or runs in the database.");
  cmd->add_option("what", *what, "sweeps or runs")
      ->check(CLI::IsMember({"sweeps", "runs"}))
      ->capture_default_str();
  cmd->callback([&globals, what] { list(globals, *what); });
}

}  // namespace attnlab::runner
