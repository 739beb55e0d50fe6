// attnlab: the command-line entry point. It only dispatches: each subcommand
// lives in its own file, and errors map to the documented exit codes
// (0 success, 1 a run or sweep failed, 2 bad usage, config or input).
#include <iostream>

#include "base/text.h"
#include "config/errors.h"
#include "runner/common.h"
#include "store/database.h"
#include "train/environment.h"

namespace {

using namespace attnlab::runner;

// The index in argv of the command (the first word after the global
// options), or argc when there is none.
int command_index(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--db" || word == "--root" || word == "--config-dir") {
      ++i;  // its value
      continue;
    }
    if (!word.empty() && word[0] != '-') return i;
  }
  return argc;
}

bool is_command(const CLI::App& app, const std::string& word) {
  for (const CLI::App* sub : app.get_subcommands({}))
    if (sub->get_name() == word) return true;
  return false;
}

// Runs the parsed command; an exception becomes its message and exit code.
int run_app(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;  // help and --version exit 0
  } catch (const attnlab::config::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const attnlab::store::AmbiguousId& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {  // RunFailed, StoreError, anything else
    std::cerr << "error: " << e.what() << "\n";
    return kExitRunFailed;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "attnlab: train, compare and report attention mechanisms for sequence-to-sequence models.\n"
      "Configs compose Hydra-style from --config-dir; results go to one SQLite database."};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", attnlab::train::version_text());
  // One spelling for every error, CLI11's included.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
  GlobalOptions globals;
  CLI::Option* db = app.add_option("--db", globals.db,
                                   "results database (SQLite); its run folders, sweep logs and, "
                                   "without --root, reports go beside it")
                        ->capture_default_str()
                        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--root", globals.root,
                 "output root: ROOT/results/attnlab.db, ROOT/results/runs/, ROOT/results/sweeps/ "
                 "and ROOT/reports/ (default: the current folder)")
      ->envname("ATTNLAB_ROOT")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.parse_complete_callback([&globals, db] {
    globals.db_given = db->count() > 0;
    globals.place_database();
  });
  app.add_option("--config-dir", globals.config_dir, "folder holding config.yaml and the groups")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag_function(
      "-v,--verbose", [&](std::int64_t) { globals.verbosity = 1; }, "print more");
  app.add_flag_function(
      "-q,--quiet", [&](std::int64_t) { globals.verbosity = -1; }, "print only results and errors");
  for (const auto add :
       {add_run_command, add_sweep_command, add_ls_command, add_show_command, add_query_command,
        add_report_command, add_reproduce_command, add_decode_command, add_diff_command,
        add_tag_command, add_rm_command, add_config_command, add_merge_command, add_bench_command,
        add_completion_command}) {
    add(app, globals);
  }
  const int command = command_index(argc, argv);
  if (command < argc && argv[command] == std::string(kCompleteCommand)) {
    std::vector<std::string> words(argv + 1, argv + argc);
    words.erase(words.begin() + (command - 1));
    print_completions(app, globals, words);
    return kExitOk;
  }
  if (command < argc && !is_command(app, argv[command])) {
    const std::string word = argv[command];
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({}))
      names.push_back(sub->get_name());
    std::cerr << "error: unknown command '" << word << "'"
              << attnlab::base::did_you_mean(word, names)
              << "; valid: " << attnlab::base::join(names)
              << " (attnlab --help says what each does)\n";
    return kExitUsage;
  }
  return run_app(app, argc, argv);
}
