#include "runner/common.h"

#include "config/errors.h"
#include "config/override.h"
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

void split_experiment(std::vector<std::string>* words, std::string* experiment) {
  if (words->empty()) return;
  const std::string& first = words->front();
  if (first.find('=') != std::string::npos || first.empty() || first[0] == '~' || first[0] == '+') {
    return;
  }
  *experiment = first;
  words->erase(words->begin());
}

}  // namespace attnlab::runner
