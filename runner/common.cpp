#include "runner/common.h"

#include <iomanip>
#include <iostream>

#include "config/errors.h"
#include "config/override.h"
#include "config/sweep.h"
#include "train/environment.h"
#include "train/trainer.h"

namespace attnlab::runner {

std::filesystem::path GlobalOptions::experiment_dir() const {
  return config_dir.parent_path().empty() ? std::filesystem::path("experiments")
                                          : config_dir.parent_path() / "experiments";
}

std::filesystem::path GlobalOptions::results_dir() const {
  return db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path();
}

Job compose_job(const GlobalOptions& globals, const std::string& experiment,
                const std::vector<std::string>& overrides) {
  config::ComposeRequest request;
  request.config_dir = globals.config_dir;
  request.experiment_dir = globals.experiment_dir();
  request.experiment = experiment;
  for (const auto& text : overrides)
    request.overrides.push_back(config::parse_override(text));
  Job job;
  job.composed = config::compose(request);
  job.settings = config::parse_settings(job.composed);
  try {
    train::check_names(job.settings);
  } catch (const std::invalid_argument& e) {
    const std::string key = std::string(e.what()).substr(0, std::string(e.what()).find(':'));
    const std::string where = job.composed.where(key);
    throw config::ConfigError((where.empty() ? "" : where + ": ") + e.what());
  }
  job.hash = config::config_hash(job.settings, train::code_version());
  return job;
}

store::RunStore open_results_read_only(const GlobalOptions& globals) {
  try {
    return store::RunStore(globals.db, store::OpenMode::kReadOnly);
  } catch (const store::StoreError& e) {
    throw UsageError(e.what());
  }
}

Expansion expand_words(const GlobalOptions& globals, const std::vector<std::string>& words) {
  Expansion out;
  std::vector<std::string> overrides = words;
  if (!overrides.empty() && !overrides.front().empty() &&
      overrides.front().find('=') == std::string::npos && overrides.front()[0] != '~' &&
      overrides.front()[0] != '+') {
    out.experiment = overrides.front();
    overrides.erase(overrides.begin());
  }
  config::ParseContext context;
  context.group_options = [&globals](const std::string& group) {
    return config::group_options(globals.config_dir, group);
  };
  // The experiment's own sweep comes from composing it once without sweeps.
  std::vector<std::string> fixed;
  for (const auto& o : overrides) {
    if (!config::parse_override(o, context).is_sweep()) fixed.push_back(o);
  }
  const Job base = compose_job(globals, out.experiment, fixed);
  out.is_sweep = fixed.size() != overrides.size() || base.composed.experiment_sweep.IsDefined();
  for (auto& job : config::expand_sweep(base.composed.experiment_sweep, overrides, context)) {
    out.jobs.push_back(std::move(job.overrides));
  }
  return out;
}

void print_length_table(const std::vector<store::LengthEval>& evals, int train_min, int train_max) {
  std::cout << "  length     n   token acc   exact match\n";
  for (const auto& e : evals) {
    const bool trained = e.length >= train_min && e.length <= train_max;
    std::cout << "  " << std::setw(6) << e.length << std::setw(6) << e.n << std::fixed
              << std::setprecision(1) << std::setw(11) << 100 * e.token_accuracy << "%"
              << std::setw(13) << 100 * e.sequence_accuracy << "%"
              << (trained ? "" : "   (beyond training)") << "\n";
  }
}

}  // namespace attnlab::runner
