// `attnlab rm RUN_ID|SWEEP_ID [--yes]`: removes a run, or a sweep with the
// runs it ran, from the database and their folders from disk, together,
// after asking. What is still running is refused.
#include <iostream>
#include <memory>

#include "runner/common.h"
#include "store/driver_lease.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct RmOptions {
  std::string id;
  bool yes = false;
};

// True once the user agreed. Throws UsageError when no answer can be read.
bool confirmed(const std::string& what) {
  std::cout << "remove " << what << "? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) {
    std::cout << "\n";
    throw UsageError("nothing removed: no answer on standard input; pass --yes to remove " + what +
                     " without asking");
  }
  return answer == "y" || answer == "yes" || answer == "Y";
}

void remove_folders(const std::vector<std::filesystem::path>& folders) {
  for (const auto& folder : folders) {
    std::error_code error;
    std::filesystem::remove_all(folder, error);
    if (error)
      std::cerr << "warning: could not remove " << folder.string() << ": " << error.message()
                << "\n";
  }
}

void remove_run(const GlobalOptions& globals, store::RunStore& store, store::RunRecord run,
                bool yes) {
  store.reap_vanished_runs();
  run = *store.find_run(run.run_id);
  if (run.status == store::RunStatus::kRunning) {
    throw UsageError("run " + run.run_id + " is running (pid " + std::to_string(run.pid) + " on " +
                     run.run.environment.hostname + "); stop it before removing it");
  }
  const auto folder = globals.results_dir() / "runs" / run.run_id;
  const std::string what = "run " + run.run_id + " (" + store::status_name(run.status) + ", " +
                           run.run.attention + " attention, seed " + std::to_string(run.run.seed) +
                           ") and " + folder.string();
  if (!yes && !confirmed(what)) {
    std::cout << "nothing removed\n";
    return;
  }
  store.remove_run(run.run_id);
  remove_folders({folder});
  std::cout << "removed " << what << "\n";
}

void remove_sweep(const GlobalOptions& globals, store::RunStore& store,
                  const store::SweepRecord& sweep, bool yes) {
  // Holding the driver's lease keeps a resume from starting meanwhile.
  std::unique_ptr<store::DriverLease> lease;
  try {
    lease = std::make_unique<store::DriverLease>(globals.db, sweep.sweep_id);
  } catch (const store::DriverLeaseHeld& e) {
    throw UsageError(std::string(e.what()) + "; stop it before removing the sweep");
  }
  store.reap_vanished_runs();
  std::vector<std::filesystem::path> folders = {globals.results_dir() / "sweeps" / sweep.sweep_id};
  int runs = 0;
  for (const auto& run : store.list_runs()) {
    if (run.run.sweep_id != sweep.sweep_id) continue;
    if (run.status == store::RunStatus::kRunning) {
      throw UsageError("run " + run.run_id + " of sweep " + sweep.sweep_id + " is running (pid " +
                       std::to_string(run.pid) + "); stop it before removing the sweep");
    }
    folders.push_back(globals.results_dir() / "runs" / run.run_id);
    ++runs;
  }
  const std::string what = "sweep " + sweep.sweep_id + " (" + store::status_name(sweep.status) +
                           "), its " + std::to_string(runs) + " run(s) and their folders, and " +
                           folders.front().string();
  if (!yes && !confirmed(what)) {
    std::cout << "nothing removed\n";
    return;
  }
  store.remove_sweep(sweep.sweep_id);
  remove_folders(folders);
  std::cout << "removed " << what << " (a report drawn from it is left where it is)\n";
}

void rm(const GlobalOptions& globals, const RmOptions& options) {
  const auto store = open_results(globals);
  const auto run = store->find_run(options.id);
  const auto sweep = store->find_sweep(options.id);
  if (run && sweep) {
    throw UsageError("'" + options.id + "' names both run " + run->run_id + " and sweep " +
                     sweep->sweep_id + "; give more of the one to remove");
  }
  if (run) return remove_run(globals, *store, *run, options.yes);
  if (sweep) return remove_sweep(globals, *store, *sweep, options.yes);
  throw UsageError("no run or sweep '" + options.id + "' in " + globals.db.string() +
                   " (list them with `attnlab ls runs` and `attnlab ls sweeps`)");
}

}  // namespace

void add_rm_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<RmOptions>();
  CLI::App* cmd = app.add_subcommand(
      "rm", "Remove a run, or a sweep and its runs, from the database and from disk.");
  cmd->add_option("id", options->id, "a run or sweep id, or a unique prefix of one")->required();
  cmd->add_flag("-y,--yes", options->yes, "remove without asking");
  cmd->footer(
      "Examples:\n"
      "  attnlab rm 3f2a9c1b7e\n"
      "  attnlab rm length_generalization-20261124T070043Z --yes\n"
      "Refused (exit 2) while the run, or a run or driver of the sweep, is still running.");
  cmd->callback([&globals, options] { rm(globals, *options); });
}

}  // namespace attnlab::runner
