// `attnlab show RUN_ID`: one run in full.
#include <iomanip>
#include <iostream>
#include <memory>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

// The run's record, a line per field (and its config's heading).
void print_record(const store::RunRecord& r) {
  const auto& env = r.run.environment;
  std::cout
      << "run:          " << r.run_id << "\n"
      << "status:       " << store::status_name(r.status)
      << (r.error.empty() ? "" : " (" + r.error + ")") << "\n"
      << "sweep:        " << (r.run.sweep_id.empty() ? "-" : r.run.sweep_id) << "\n"
      << (r.run.slurm_job_id.empty() ? "" : "slurm job:    " + r.run.slurm_job_id + "\n")
      << "config hash:  " << r.run.config_hash << "\n"
      << "overrides:    " << r.run.overrides_json << "\n"
      << "started:      " << r.started_at << "\n"
      << "finished:     " << (r.finished_at.empty() ? "-" : r.finished_at) << "\n"
      << "model:        " << r.run.model
      << (r.run.decoder.empty() || r.run.decoder == r.run.model ? ""
                                                                : ", " + r.run.decoder + " decoder")
      << ", " << r.run.attention << " attention, "
      << (r.parameters > 0 ? std::to_string(r.parameters) + " parameters" : "parameters unknown")
      << "\n"
      << "wall seconds: " << std::fixed << std::setprecision(1) << r.wall_seconds << "\n"
      << "peak memory:  "
      << (r.peak_memory_bytes > 0
              ? std::to_string((r.peak_memory_bytes + 524288) / 1048576) + " MiB resident"
              : "-")
      << "\n"
      << (r.trained_steps > 0 ? "trained:      " + std::to_string(r.trained_steps) +
                                    " steps; evaluated the weights of step " +
                                    std::to_string(r.selected_step) + "\n"
                              : "")
      << "data:         "
      << (r.run.data_identity.empty() ? "the settings and the seed alone" : r.run.data_identity)
      << "\n"
      << "checkpoint:   "
      << (r.checkpoint_step > 0 ? "step " + std::to_string(r.checkpoint_step) : "-")
      << (r.status == store::RunStatus::kRunning
              ? ", pid " + std::to_string(r.pid) + ", last heartbeat " + r.heartbeat_at
              : "")
      << "\n"
      << "environment:  attnlab " << env.attnlab_version << " (" << env.git_commit
      << (env.git_dirty ? ", uncommitted changes" : "") << "), LibTorch " << env.torch_version
      << ", BLAS " << env.blas << (env.gpu.empty() ? "" : ", GPU " + env.gpu) << ", " << env.threads
      << " thread(s) on " << env.device << ", " << env.cpu << ", host " << env.hostname << "\n"
      << "config:\n";
}

void show(const GlobalOptions& globals, const std::string& id) {
  store::RunStore store = open_results_read_only(globals);
  const auto found = store.find_run(id);
  if (!found)
    throw UsageError("no run '" + id + "' in " + globals.db.string() +
                     " (list them with `attnlab ls runs`)");
  const auto& r = *found;
  print_record(r);
  std::istringstream config(r.run.config_yaml);
  for (std::string line; std::getline(config, line);)
    std::cout << "  " << line << "\n";
  const auto metrics = store.metrics(r.run_id);
  const store::MetricPoint* last_loss = nullptr;
  for (const auto& m : metrics) {
    if (m.name == store::metric::kTrainLoss) last_loss = &m;
  }
  if (last_loss != nullptr) {
    std::cout << "final train loss: " << std::setprecision(4) << last_loss->value << " (step "
              << last_loss->step << ")\n";
  }
  const auto evals = store.evals(r.run_id);
  if (!evals.empty()) {
    std::cout << "per-length accuracy (free-running decoding):\n";
    print_length_table(evals, r.run.train_min_length, r.run.train_max_length,
                       store.splits(r.run_id));
  }
}

}  // namespace

void add_show_command(CLI::App& app, GlobalOptions& globals) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "show", "Show one run: config, environment, metrics and per-length accuracy.");
  cmd->add_option("run_id", *id, "the run's id, or a unique prefix of it")->required();
  cmd->callback([&globals, id] { show(globals, *id); });
}

}  // namespace attnlab::runner
