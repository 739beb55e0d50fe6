// `attnlab show RUN_ID [--format table|csv|json]`: one run in full.
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "runner/common.h"
#include "runner/table.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

// The run's record, a line per field.
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
      << (r.weights_sha256.empty() ? ""
                                   : "weights:      runs/" + r.run_id + "/model.pt (sha256 " +
                                         r.weights_sha256.substr(0, 12) + "...)\n");
}

// Its tags, if any, on one line.
void print_tags(const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return;
  std::cout << "tags:        ";
  for (const auto& [key, value] : tags)
    std::cout << " " << key << "=" << value;
  std::cout << "\n";
}

// The rows of `sql` (with ?1 the run's id).
Table rows_of(store::RunStore& store, const std::string& sql, const std::string& run_id) {
  store::Statement s = store.database().prepare(sql);
  s.bind(1, run_id);
  return read_table(s);
}

// The scores per length, then per whole split, one row each.
const char* const kScoresSql =
    "SELECT 'length' AS bucket, length AS value, n, token_accuracy, sequence_accuracy, "
    "error_rate, bleu, perplexity, aer, alignment_accuracy FROM evals WHERE run_id = ?1 "
    "UNION ALL SELECT 'split', split, n, token_accuracy, sequence_accuracy, error_rate, bleu, "
    "perplexity, aer, alignment_accuracy FROM scores WHERE run_id = ?1";

// The whole run as one JSON object: its row of the runs table, settings,
// tags, scores and metrics.
void print_json(store::RunStore& store, const std::string& run_id) {
  nlohmann::json out = json_rows(rows_of(store, "SELECT * FROM runs WHERE run_id = ?1", run_id))[0];
  nlohmann::json settings = nlohmann::json::object(), tags = nlohmann::json::object();
  for (const auto& p : store.params(run_id))
    settings[p.key] = json_of(p.value);
  for (const auto& [key, value] : store.tags(run_id))
    tags[key] = value;
  out["settings"] = settings;
  out["tags"] = tags;
  out["scores"] = json_rows(rows_of(store, kScoresSql, run_id));
  out["metrics"] = json_rows(
      rows_of(store, "SELECT step, name, value FROM metrics WHERE run_id = ?1 ORDER BY name, step",
              run_id));
  std::cout << out.dump(2) << "\n";
}

void show(const GlobalOptions& globals, const std::string& id, const std::string& format) {
  store::RunStore store = open_results_read_only(globals);
  const store::RunRecord r = find_run(store, globals, id);
  if (format == "json") return print_json(store, r.run_id);
  if (format == "csv") return print_table(rows_of(store, kScoresSql, r.run_id), "csv");
  print_record(r);
  print_tags(store.tags(r.run_id));
  std::cout << "config:\n";
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
  auto options = std::make_shared<std::pair<std::string, std::string>>("", "table");
  CLI::App* cmd = app.add_subcommand(
      "show", "Show one run: config, environment, metrics and per-length accuracy.");
  cmd->add_option("run_id", options->first, "the run's id, or a unique prefix of it")->required();
  cmd->add_option("--format", options->second,
                  "table (the run in full), csv (its scores per length and split) or json "
                  "(everything: record, settings, tags, scores, metrics)")
      ->check(CLI::IsMember(table_formats()))
      ->capture_default_str();
  cmd->callback([&globals, options] { show(globals, options->first, options->second); });
}

}  // namespace attnlab::runner
