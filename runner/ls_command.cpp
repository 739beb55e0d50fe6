// `attnlab ls [sweeps|runs]`: what the database holds. Runs are rows of the
// run_summary view: filtered (--sweep, --status, and --where, SQL over its
// columns), sorted (--sort), cut to --columns, and printed as a table, CSV
// or JSON. A 'running' run whose process is gone shows as 'interrupted?'
// until a command that writes records it.
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "base/errors.h"
#include "base/text.h"
#include "launch/launcher.h"
#include "runner/common.h"
#include "runner/table.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct LsOptions {
  std::string what = "runs";
  std::string sweep;   // only this sweep's runs (id or prefix)
  std::string status;  // only runs with this status
  std::string where;   // SQL over run_summary's columns
  std::string sort;    // COLUMN[,COLUMN...], '-' before one for descending
  std::string columns;
  std::string format = "table";
};

const char* const kDefaultColumns =
    "run_id,status,task,attention,decoder,hidden_size,seed,train_max_length,beyond_train_exact,"
    "wall_seconds,sweep_id";

void list_sweeps(store::RunStore& store, const std::string& format) {
  Table table{{"sweep", "status", "launcher", "jobs", "finished", "failed", "created"}, {}};
  for (const auto& w : store.list_sweeps()) {
    table.rows.push_back({w.sweep_id, store::status_name(w.status), w.launcher,
                          std::int64_t{w.n_jobs}, std::int64_t{w.finished}, std::int64_t{w.failed},
                          w.created_at});
  }
  print_table(table, format);
}

// "a, b ,c" as {"a", "b", "c"}.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (const char c : text + ",") {
    if (c != ',') {
      if (c != ' ') item += c;
      continue;
    }
    if (!item.empty()) out.push_back(item);
    item.clear();
  }
  return out;
}

std::vector<std::string> summary_columns(store::Database& db) {
  std::vector<std::string> names;
  store::Statement s = db.prepare("SELECT name FROM pragma_table_info('run_summary')");
  while (s.step())
    names.push_back(s.column_text(0));
  return names;
}

std::string checked_column(const std::string& option, const std::string& name,
                           const std::vector<std::string>& valid) {
  for (const auto& v : valid)
    if (v == name) return name;
  throw UsageError(base::ChoiceError(option, name, valid).what());
}

// The SELECT over run_summary that --columns, --where and --sort ask for;
// ?1 binds --status, and run ids from --sweep are listed.
std::string summary_sql(const LsOptions& options, const std::vector<std::string>& valid,
                        const std::vector<std::string>& columns,
                        const std::vector<std::string>* run_ids) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i)
    sql += (i ? ", " : "") + columns[i];
  sql += " FROM run_summary WHERE (?1 = '' OR status = ?1)";
  if (run_ids != nullptr) {
    sql += " AND run_id IN (''";
    for (const auto& id : *run_ids)
      sql += ", '" + id + "'";  // ids are hex digits and dashes
    sql += ")";
  }
  if (!options.where.empty()) sql += " AND (" + options.where + "\n)";
  std::vector<std::string> order;
  for (const auto& key : split_list(options.sort)) {
    const bool descending = key.front() == '-';
    order.push_back(checked_column("--sort", descending ? key.substr(1) : key, valid) +
                    (descending ? " DESC" : ""));
  }
  order.push_back("rowid");
  return sql + " ORDER BY " + base::join(order);
}

// The planned jobs of a sweep that have no run yet.
void add_queued(store::RunStore& store, const std::string& sweep_id,
                const std::vector<store::RunRecord>& runs, const std::vector<std::string>& columns,
                Table* table) {
  std::set<std::string> started;
  for (const auto& r : runs)
    started.insert(r.run.config_hash);
  for (const auto& job : store.sweep_plan(sweep_id)) {
    if (started.count(job.config_hash) != 0) continue;
    std::vector<store::Value> row;
    for (const auto& c : columns) {
      if (c == "status") {
        row.push_back(std::string("queued"));
      } else if (c == "sweep_id") {
        row.push_back(sweep_id);
      } else if (c == "run_id") {
        row.push_back("job " + std::to_string(job.index) + ": " + launch::describe_overrides(job));
      } else {
        row.push_back(std::monostate{});
      }
    }
    table->rows.push_back(std::move(row));
  }
}

void list_runs(store::RunStore& store, const LsOptions& options) {
  store::Database& db = store.database();
  const auto valid = summary_columns(db);
  std::vector<std::string> columns;
  for (const auto& c : split_list(options.columns.empty() ? kDefaultColumns : options.columns))
    columns.push_back(checked_column("--columns", c, valid));
  std::optional<store::SweepRecord> sweep;
  std::vector<store::RunRecord> sweep_runs;
  std::vector<std::string> ids;
  if (!options.sweep.empty()) {
    sweep = store.find_sweep(options.sweep);
    if (!sweep) {
      throw UsageError("no sweep '" + options.sweep + "' (list them with `attnlab ls sweeps`)");
    }
    sweep_runs = store.sweep_runs(sweep->sweep_id);
    for (const auto& r : sweep_runs)
      ids.push_back(r.run_id);
  }
  std::set<std::string> vanished;
  for (const auto& r : store.list_runs())
    if (store::process_vanished(r)) vanished.insert(r.run_id);

  Table table{columns, {}};
  if (sweep && (options.status.empty() || options.status == "queued")) {
    add_queued(store, sweep->sweep_id, sweep_runs, columns, &table);
  }
  const auto id_column = std::find(columns.begin(), columns.end(), "run_id");
  const std::string sql = summary_sql(options, valid, columns, sweep ? &ids : nullptr);
  try {
    store::Statement s = db.prepare(sql);
    if (db.holds_statement(s.rest())) throw UsageError("--where: one SQL expression only");
    s.bind(1, options.status);
    while (s.step()) {
      std::vector<store::Value> row;
      const bool gone =
          id_column != columns.end() &&
          vanished.count(s.column_text(static_cast<int>(id_column - columns.begin()))) != 0;
      for (int i = 0; i < s.column_count(); ++i) {
        row.push_back(gone && columns[static_cast<size_t>(i)] == "status"
                          ? store::Value{std::string("interrupted?")}
                          : s.column(i));
      }
      table.rows.push_back(std::move(row));
    }
  } catch (const store::StoreError& e) {
    throw UsageError("--where '" + options.where + "': " + e.what() +
                     "; columns: " + base::join(valid));
  }
  print_table(table, options.format);
}

void list(const GlobalOptions& globals, const LsOptions& options) {
  store::RunStore store = open_results_read_only(globals);
  if (options.what == "sweeps") return list_sweeps(store, options.format);
  list_runs(store, options);
}

}  // namespace

void add_ls_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<LsOptions>();
  CLI::App* cmd = app.add_subcommand("ls", "List the sweeps or runs in the database.");
  cmd->add_option("what", options->what, "sweeps or runs")
      ->check(CLI::IsMember({"sweeps", "runs"}))
      ->capture_default_str();
  cmd->add_option("--sweep", options->sweep, "runs: only this sweep's (id or unique prefix)");
  cmd->add_option("--status", options->status, "runs: only those with this status")
      ->check(CLI::IsMember([] {
        auto names = store::run_statuses().names();
        names.insert(names.begin(), "queued");  // a planned job without a run
        return names;
      }()));
  cmd->add_option("--where", options->where,
                  "runs: only those where this SQL holds, over run_summary's columns");
  cmd->add_option("--sort", options->sort,
                  "runs: order by these columns (comma-separated; -column descends)");
  cmd->add_option("--columns", options->columns,
                  "runs: the columns to show, of run_summary's (comma-separated)")
      ->default_str(kDefaultColumns);
  cmd->add_option("--format", options->format, "table, csv or json (full precision)")
      ->check(CLI::IsMember(table_formats()))
      ->capture_default_str();
  cmd->footer(
      "Examples:\n"
      "  attnlab ls sweeps\n"
      "  attnlab ls runs --sweep length_gen --status finished\n"
      "  attnlab ls runs --where \"attention = 'dot' AND hidden_size >= 64\" "
      "--sort -beyond_train_exact\n"
      "  attnlab ls runs --columns run_id,seed,final_loss,train_exact --format csv\n"
      "beyond_train_exact is the exact match over the lengths beyond training (a fraction);\n"
      "every column of run_summary is described in docs/schema.md.");
  cmd->callback([&globals, options] { list(globals, *options); });
}

}  // namespace attnlab::runner
