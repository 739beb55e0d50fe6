// `attnlab query`: read-only SQL over the results database. The connection
// is opened read-only, and one statement runs, refused before it steps
// unless it only reads.
#include <iostream>
#include <memory>

#include "runner/common.h"
#include "runner/table.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct QueryOptions {
  std::string sql;
  std::string format = "table";
};

// Runs one read-only statement; anything else is refused before it runs.
Table run_query(store::Database& db, const std::string& sql) {
  Table table;
  try {
    store::Statement s = db.prepare(sql);
    if (db.holds_statement(s.rest())) {
      throw UsageError("query runs one statement; this SQL holds more after the first (" +
                       sql.substr(0, sql.size() - s.rest().size()) +
                       "). Run each on its own, or join them with UNION or a WITH clause");
    }
    if (!s.read_only()) {
      throw UsageError(
          "query only reads (the database is opened readonly); this statement "
          "would write: " +
          sql + "; valid: SELECT, WITH, EXPLAIN and PRAGMAs that read");
    }
    table = read_table(s);
  } catch (const store::StoreError& e) {
    throw UsageError(
        std::string("query failed: ") + e.what() +
        "\n(the database is opened read-only; tables: sweeps, sweep_jobs, runs, "
        "params, metrics, evals, scores, examples, slurm_tasks; views: length_accuracy, "
        "run_summary, latest_metrics)");
  }
  return table;
}

void query(const GlobalOptions& globals, const QueryOptions& options) {
  store::RunStore results = open_results_read_only(globals);
  print_table(run_query(results.database(), options.sql), options.format);
}

}  // namespace

void add_query_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("query", "Run read-only SQL over the results database.");
  cmd->add_option("sql", options->sql, "one SQL statement")->required();
  cmd->add_option("--format", options->format, "table, csv or json (full precision)")
      ->check(CLI::IsMember(table_formats()))
      ->capture_default_str();
  cmd->footer(
      "Example:\n"
      "  attnlab query \"SELECT attention, length, sequence_accuracy FROM length_accuracy\n"
      "                 WHERE length = train_max_length\"");
  cmd->callback([&globals, options] { query(globals, *options); });
}

}  // namespace attnlab::runner
