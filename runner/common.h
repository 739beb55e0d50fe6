// What the subcommands share: global options, exit codes, and turning
// overrides into validated settings.
#pragma once

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/compose.h"
#include "config/settings.h"
#include "data/task.h"
#include "store/run_store.h"

namespace attnlab::runner {

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitUsage = 2;

// The override grammar, for the --help of every command that takes overrides.
extern const char* const kOverrideGrammar;

// Where attnlab writes. Everything a study writes stays together: under the
// output root (--root, default the current folder) as results/attnlab.db,
// results/runs/RUN_ID/, results/sweeps/SWEEP_ID/ and reports/NAME/; with
// --db PATH alone, in PATH's folder (runs/, sweeps/ and reports/ beside the
// database).
struct GlobalOptions {
  std::filesystem::path db = "results/attnlab.db";
  std::filesystem::path root;  // --root; empty: the current folder
  bool db_given = false;       // --db was on the command line
  std::filesystem::path config_dir = "configs";
  int verbosity = 0;  // -1 quiet, 0 normal, 1 verbose

  // Sets the database from the root when --db was not given.
  void place_database();
  // Experiments live beside the config folder: <config_dir>/../experiments.
  std::filesystem::path experiment_dir() const;
  // Per-run folders and sweep logs live beside the database:
  // <db folder>/runs/<run_id>, <db folder>/sweeps/<sweep_id>.
  std::filesystem::path results_dir() const;
  // Reports: <root>/reports, or <db folder>/reports with --db alone.
  std::filesystem::path reports_dir() const;
};

// Bad usage or bad input: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run or sweep that failed: exit code 1.
class RunFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A config composed and checked: the tree (where each key was set), the
// typed settings and the hash that names the run. A sweep plans one
// store::PlannedJob from each (launch/sweep.h).
struct ComposedConfig {
  config::Composed composed;
  config::RunSettings settings;
  std::string hash;
};

// Composes and validates one job's config (no sweep values allowed). Throws
// ConfigError for anything a user can fix.
ComposedConfig compose_job(const GlobalOptions& globals, const std::string& experiment,
                           const std::vector<std::string>& overrides);

// A frozen, composed config (to_yaml() of its settings), checked again;
// `origin` names it in errors.
ComposedConfig job_from_yaml(const std::string& yaml, const std::string& origin);

// Opens (creating or migrating) the results database for writing; a path
// that cannot hold a database is a usage error (exit 2) naming it.
std::unique_ptr<store::RunStore> open_results(const GlobalOptions& globals);

// Opens the results database for reading; a missing or unreadable file is a
// usage error (exit 2) naming it.
store::RunStore open_results_read_only(const GlobalOptions& globals);

// Hydra users select an experiment with `+experiment=NAME`; this moves such
// an override into `experiment`. Throws UsageError if two different ones are named.
void take_experiment_override(std::vector<std::string>* overrides, std::string* experiment);

struct Expansion {
  std::string experiment;                      // "" when none was named
  std::vector<std::vector<std::string>> jobs;  // each job's plain overrides
  bool is_sweep = false;                       // several values somewhere (or an experiment sweep)
};

// Reads `[EXPERIMENT] OVERRIDE...` (the first word is the experiment when it is
// a bare name: no '=', '~' or '+') and expands the experiment's sweep and the
// overrides' sweep values into jobs.
Expansion expand_words(const GlobalOptions& globals, const std::vector<std::string>& words);

// The task of `task`, built once per process and shared: compose_job() builds
// it to check its data (a missing or malformed file, lengths without
// examples are config errors, exit 2, before anything is recorded), and the
// run trains on the same one. Throws std::invalid_argument like
// data::make_task.
std::shared_ptr<const data::Task> task_of(const config::TaskSettings& task);

// The device a run trains on (`device: auto` resolved), with LibTorch's
// deterministic mode set from train.deterministic. Throws UsageError when
// the device is not there (a CPU-only build, no such GPU).
std::string prepare_device(const config::RunSettings& settings);

// The text of experiments/NAME.yaml ("" for no experiment), with its claims
// and report block checked: a malformed one is a UsageError naming file,
// line and key.
std::string experiment_text(const GlobalOptions& globals, const std::string& experiment);

// Where a sweep's report goes by default: REPORTS/EXPERIMENT, or
// REPORTS/SWEEP_ID for a sweep without an experiment (so that two of them
// never share a folder), REPORTS being globals.reports_dir().
std::filesystem::path report_folder(const GlobalOptions& globals, store::RunStore& store,
                                    const std::string& sweep_id);

// Draws the report of sweep `sweep_id` into `dir` and prints its summary,
// its claims and where it is; `report_keys` replace keys of the experiment's
// report block (report::load_study). Writes nothing when the sweep has no
// finished run. Throws UsageError when the stored experiment or
// `report_keys` do not parse, RunFailed when gnuplot or the disk fails.
struct PrintedReport {
  bool drawn = false;     // false: the sweep has no finished run, nothing was written
  int failed_claims = 0;  // claims whose intervals lie wholly on the wrong side
};
PrintedReport print_report(store::RunStore& store, const std::string& sweep_id,
                           const std::filesystem::path& dir,
                           const YAML::Node& report_keys = YAML::Node());

// Prints per-length accuracy, marking lengths outside [train_min, train_max].
// Per-length scores, then the whole splits (error rate: edit distance over
// reference tokens; BLEU: sacreBLEU's corpus BLEU).
void print_length_table(const std::vector<store::LengthEval>& evals, int train_min, int train_max,
                        const std::vector<store::SplitScores>& splits = {});

// The run `id` names (exactly, or as a unique prefix). Throws UsageError
// when there is none (store::AmbiguousId for an ambiguous prefix).
store::RunRecord find_run(store::RunStore& store, const GlobalOptions& globals,
                          const std::string& id);

// A run's settings, flattened ("model.hidden_size"), as text.
std::map<std::string, std::string> settings_of(store::RunStore& store, const std::string& run_id);

// One thing two runs' environments say differently.
struct Difference {
  std::string what;  // "code", "data", "LibTorch", "BLAS (library and kernel)", "threads", ...
  std::string first, second;
};
// Where two environments (and the data each run read) differ, in a fixed
// order: code, data, LibTorch, BLAS, threads, CPU, then the attnlab
// version, device and host (which do not change a result by themselves).
std::vector<Difference> differences(const store::Environment& a, const std::string& data_a,
                                    const store::Environment& b, const std::string& data_b);

// Each subcommand adds itself to the app; its callback throws on failure.
void add_run_command(CLI::App& app, GlobalOptions& globals);
void add_sweep_command(CLI::App& app, GlobalOptions& globals);
void add_config_command(CLI::App& app, GlobalOptions& globals);
void add_ls_command(CLI::App& app, GlobalOptions& globals);
void add_show_command(CLI::App& app, GlobalOptions& globals);
void add_query_command(CLI::App& app, GlobalOptions& globals);
void add_report_command(CLI::App& app, GlobalOptions& globals);
void add_reproduce_command(CLI::App& app, GlobalOptions& globals);
void add_bench_command(CLI::App& app, GlobalOptions& globals);
void add_merge_command(CLI::App& app, GlobalOptions& globals);
void add_decode_command(CLI::App& app, GlobalOptions& globals);
void add_diff_command(CLI::App& app, GlobalOptions& globals);
void add_tag_command(CLI::App& app, GlobalOptions& globals);
void add_rm_command(CLI::App& app, GlobalOptions& globals);
void add_completion_command(CLI::App& app, GlobalOptions& globals);

// What the completion scripts ask for: `attnlab __complete WORD...` prints
// the completions of the last of `words` (the words typed after `attnlab`,
// global options included, the last one the word being completed), one per
// line, or ":files" for file names.
constexpr char kCompleteCommand[] = "__complete";
void print_completions(const CLI::App& app, const GlobalOptions& globals,
                       const std::vector<std::string>& words);

}  // namespace attnlab::runner
