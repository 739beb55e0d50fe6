// attnlab: the command-line entry point. It only dispatches: each subcommand
// lives in its own file, and errors map to the documented exit codes
// (0 success, 1 a run or sweep failed, 2 bad usage, config or input).
#include <iostream>

#include "config/errors.h"
#include "runner/common.h"
#include "store/database.h"

int main(int argc, char** argv) {
  using namespace attnlab::runner;
  CLI::App app{
      "attnlab: train, compare and report attention mechanisms for sequence-to-sequence models.\n"
      "Configs compose Hydra-style from --config-dir; results go to one SQLite database."};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions globals;
  app.add_option("--db", globals.db, "results database (SQLite)")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--config-dir", globals.config_dir, "folder holding config.yaml and the groups")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag_function(
      "-v,--verbose", [&](std::int64_t) { globals.verbosity = 1; }, "print more");
  app.add_flag_function(
      "-q,--quiet", [&](std::int64_t) { globals.verbosity = -1; }, "print only results and errors");

  add_run_command(app, globals);
  add_sweep_command(app, globals);
  add_ls_command(app, globals);
  add_show_command(app, globals);
  add_query_command(app, globals);
  add_report_command(app, globals);
  add_reproduce_command(app, globals);
  add_config_command(app, globals);
  add_merge_command(app, globals);
  add_bench_command(app, globals);

  try {
    app.parse(argc, argv);
    return kExitOk;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  } catch (const attnlab::config::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const RunFailed& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitRunFailed;
  } catch (const attnlab::store::AmbiguousId& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const attnlab::store::StoreError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitRunFailed;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitRunFailed;
  }
}
