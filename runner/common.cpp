// Shared by the subcommands: the override grammar text, composing jobs,
// expanding sweeps, and printing per-length tables.
#include "runner/common.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <type_traits>
#include <variant>

#include "base/errors.h"
#include "base/files.h"
#include "config/errors.h"
#include "config/override.h"
#include "config/sweep.h"
#include "report/claims.h"
#include "report/study.h"
#include "store/schema.h"
#include "train/environment.h"
#include "train/trainer.h"

namespace attnlab::runner {

const char* const kOverrideGrammar = R"(Overrides (Hydra's grammar):
  group=option          choose a config group option: attention=dot, task=reverse
  group/sub=option      an option of a nested group
  group@pkg=option      the defaults entry of a group placed at package pkg
  key.path=value        change a key that exists: train.lr=3e-4, task.train_lengths=[1,12]
  +key=value            add a key (or, for a group, a defaults entry) that is not there yet
  ++key=value           add or change
  ~key  ~key=value      delete a key (only if it has that value); ~group drops a defaults entry
Values are typed: 10, -3, 1_000, 1e-05, inf, nan, true, null, [1, [2, 3]], {a: 1};
anything else is a string (123abc). 'quoted' or "quoted" text is always a string and
never a sweep; a backslash escapes the next character (a\,b); outer spaces are dropped.
${a.b} refers to another key, ${env:VAR} and ${env:VAR,default} to the environment;
they are resolved after composition.
Sweep values (attnlab sweep; in attnlab run they are an error):
  a,b,c  choice(a,b,c)                      the listed values
  range(1,10,3)  range(start=0.1, stop=0.5, step=0.1)  range(5,0,-1)
                                            half-open, like Python's range
  glob(*)  glob([d*,g*], exclude=none)      options of the group being swept
  sort(3,1,2)  sort(range(3), reverse=true)  shuffle(a,b,c, seed=1)
  int(...) float(...) str(...) bool(...)    casts, element-wise
interval() is rejected: a grid sweep needs discrete values.
Labels: +tags.KEY=VALUE tags a run (the tags table) without changing its identity.)";

std::filesystem::path GlobalOptions::experiment_dir() const {
  return config_dir.parent_path().empty() ? std::filesystem::path("experiments")
                                          : config_dir.parent_path() / "experiments";
}

std::filesystem::path GlobalOptions::results_dir() const {
  return db.parent_path().empty() ? std::filesystem::path(".") : db.parent_path();
}

void GlobalOptions::place_database() {
  if (!db_given) db = root / "results" / "attnlab.db";
}

std::filesystem::path GlobalOptions::reports_dir() const {
  return db_given && root.empty() ? results_dir() / "reports" : root / "reports";
}

std::shared_ptr<const data::Task> task_of(const config::TaskSettings& task) {
  static std::map<std::string, std::shared_ptr<const data::Task>> built;
  config::RunSettings only_task;
  only_task.task = task;
  auto& slot = built[config::canonical_json(only_task)];
  if (!slot) slot = data::make_task(task);
  return slot;
}

ComposedConfig compose_job(const GlobalOptions& globals, const std::string& experiment,
                           const std::vector<std::string>& overrides) {
  config::ComposeRequest request;
  request.config_dir = globals.config_dir;
  request.experiment_dir = globals.experiment_dir();
  request.experiment = experiment;
  for (const auto& text : overrides)
    request.overrides.push_back(config::parse_override(text));
  ComposedConfig job;
  job.composed = config::compose(request);
  job.settings = config::parse_settings(job.composed);
  try {
    train::check_names(job.settings);
    // A bad data file is a config error, before anything runs; its content
    // is part of the run's identity.
    job.hash = config::config_hash(job.settings, train::code_version(),
                                   task_of(job.settings.task)->data_identity());
  } catch (const base::KeyError& e) {
    const std::string where = job.composed.where(e.key());
    throw config::ConfigError((where.empty() ? "" : where + ": ") + e.what());
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(e.what());
  }
  return job;
}

ComposedConfig job_from_yaml(const std::string& yaml, const std::string& origin) {
  ComposedConfig job;
  try {
    job.composed.root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw config::ConfigError(origin + ": the frozen config does not parse: " + e.what());
  }
  job.settings = config::parse_settings(job.composed);
  train::check_names(job.settings);
  try {
    job.hash = config::config_hash(job.settings, train::code_version(),
                                   task_of(job.settings.task)->data_identity());
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(origin + ": " + e.what());
  }
  return job;
}

std::unique_ptr<store::RunStore> open_results(const GlobalOptions& globals) {
  try {
    return std::make_unique<store::RunStore>(globals.db, store::OpenMode::kReadWrite);
  } catch (const store::StoreError& e) {
    throw UsageError(std::string(e.what()) + " (choose another --db)");
  }
}

store::RunStore open_results_read_only(const GlobalOptions& globals) {
  try {
    const int schema = store::file_schema(globals.db);
    if (schema > 0 && schema < store::schema_version() && globals.verbosity >= 0) {
      std::cerr << "note: " << globals.db.string() << " was written by an older attnlab (schema "
                << schema << " of " << store::schema_version()
                << "); this command reads a migrated copy and leaves the file as it is. Any "
                   "command that writes it (run, sweep, merge) migrates it in place.\n";
    }
    return store::RunStore(globals.db, store::OpenMode::kReadOnly);
  } catch (const store::StoreError& e) {
    throw UsageError(e.what());
  }
}

void take_experiment_override(std::vector<std::string>* overrides, std::string* experiment) {
  for (auto it = overrides->begin(); it != overrides->end(); ++it) {
    if (it->rfind("+experiment=", 0) != 0) continue;
    const std::string name = it->substr(12);
    if (!experiment->empty() && *experiment != name) {
      throw UsageError("two experiments named: '" + *experiment + "' and '" + name + "'");
    }
    *experiment = name;
    overrides->erase(it);
    return;
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
  take_experiment_override(&overrides, &out.experiment);
  config::ParseContext context;
  context.group_options = [&globals](const std::string& group) {
    return config::group_options(globals.config_dir, group);
  };
  // The experiment's own sweep comes from composing it once without sweeps.
  std::vector<std::string> fixed;
  for (const auto& o : overrides) {
    if (!config::parse_override(o, context).is_sweep()) fixed.push_back(o);
  }
  const ComposedConfig base = compose_job(globals, out.experiment, fixed);
  out.is_sweep = fixed.size() != overrides.size() || base.composed.experiment_sweep.IsDefined();
  for (auto& job : config::expand_sweep(base.composed.experiment_sweep, overrides, context)) {
    out.jobs.push_back(std::move(job.overrides));
  }
  return out;
}

std::filesystem::path report_folder(const GlobalOptions& globals, store::RunStore& store,
                                    const std::string& sweep_id) {
  const auto sweep = store.find_sweep(sweep_id);
  const bool named = sweep && !store.sweep_experiment(sweep_id).empty();
  return globals.reports_dir() / (named ? sweep->name : sweep_id);
}

std::string experiment_text(const GlobalOptions& globals, const std::string& experiment) {
  if (experiment.empty()) return "";
  const auto file = config::experiment_file(globals.experiment_dir(), experiment);
  std::string text;
  if (!base::read_file(file, &text)) throw UsageError("cannot read " + file.string());
  try {
    const YAML::Node parsed = YAML::Load(text);
    report::parse_claims(parsed["claims"], file.string());
    report::parse_report_spec(parsed["report"], file.string());
  } catch (const std::exception& e) {
    throw UsageError(e.what());
  }
  return text;
}

namespace {

void print_scores(const store::Scores& s, bool alignment) {
  std::cout << std::setw(6) << s.n << std::fixed << std::setprecision(1) << std::setw(11)
            << 100 * s.token_accuracy << "%" << std::setw(13) << 100 * s.sequence_accuracy << "%"
            << std::setw(12) << 100 * s.error_rate << "%" << std::setw(8);
  if (std::isnan(s.bleu)) {
    std::cout << "n/a";  // no reference 4-grams
  } else {
    std::cout << s.bleu;
  }
  std::cout << std::setprecision(3) << std::setw(12) << s.perplexity;
  if (!alignment) return;
  std::cout << std::setprecision(1);
  if (std::isnan(s.aer)) {
    std::cout << std::setw(8) << "-" << std::setw(12) << "-";
  } else {
    std::cout << std::setw(7) << 100 * s.aer << "%" << std::setw(11) << 100 * s.alignment_accuracy
              << "%";
  }
}

}  // namespace

void print_length_table(const std::vector<store::LengthEval>& evals, int train_min, int train_max,
                        const std::vector<store::SplitScores>& splits) {
  // The alignment columns where the task has a gold alignment and the model attends.
  const bool alignment = std::any_of(evals.begin(), evals.end(),
                                     [](const store::Scores& e) { return !std::isnan(e.aer); });
  std::cout << "  length     n   token acc   exact match  error rate    BLEU  perplexity"
            << (alignment ? "     AER  on gold" : "") << "\n";
  for (const auto& e : evals) {
    const bool trained = e.length >= train_min && e.length <= train_max;
    std::cout << "  " << std::setw(6) << e.length;
    print_scores(e, alignment);
    std::cout << (trained ? "" : "   (beyond training)") << "\n";
  }
  for (const auto& s : splits) {
    std::cout << "  " << std::setw(6) << s.split;
    print_scores(s, alignment);
    std::cout << (s.split == "test" ? "   (all lengths above)" : "") << "\n";
  }
}

std::string prepare_device(const config::RunSettings& settings) {
  train::use_deterministic_algorithms(settings.train.deterministic);
  try {
    return train::resolve_device(settings.device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

store::RunRecord find_run(store::RunStore& store, const GlobalOptions& globals,
                          const std::string& id) {
  const auto found = store.find_run(id);  // an ambiguous prefix: AmbiguousId, exit 2
  if (!found) {
    throw UsageError("no run '" + id + "' in " + globals.db.string() +
                     " (list them with `attnlab ls runs`)");
  }
  return *found;
}

std::map<std::string, std::string> settings_of(store::RunStore& store, const std::string& run_id) {
  std::map<std::string, std::string> out;
  for (const auto& p : store.params(run_id)) {
    std::ostringstream text;
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (!std::is_same_v<T, std::monostate>) text << v;
        },
        p.value);
    out[p.key] = text.str();
  }
  return out;
}

std::vector<Difference> differences(const store::Environment& a, const std::string& data_a,
                                    const store::Environment& b, const std::string& data_b) {
  const auto code = [](const store::Environment& e) {
    return e.git_commit + (e.git_dirty ? " (uncommitted changes)" : "");
  };
  std::vector<Difference> out;
  for (const Difference& d : {Difference{"code", code(a), code(b)},
                              {"data", data_a, data_b},
                              {"LibTorch", a.torch_version, b.torch_version},
                              {"BLAS (library and kernel)", a.blas, b.blas},
                              {"threads", std::to_string(a.threads), std::to_string(b.threads)},
                              {"CPU", a.cpu, b.cpu},
                              {"GPU", a.gpu, b.gpu},
                              {"attnlab", a.attnlab_version, b.attnlab_version},
                              {"device", a.device, b.device},
                              {"host", a.hostname, b.hostname}}) {
    if (d.first != d.second) out.push_back(d);
  }
  return out;
}

}  // namespace attnlab::runner
