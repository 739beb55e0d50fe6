// `attnlab query`: read-only SQL over the results database. The connection
// is opened read-only, and one statement runs, refused before it steps
// unless it only reads.
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct QueryOptions {
  std::string sql;
  std::string format = "table";
};

std::string text_of(const store::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "";
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    std::ostringstream out;
    out.precision(6);
    out << *d;
    return out.str();
  }
  return std::get<std::string>(v);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A query's answer.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<store::Value>> rows;
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
    for (int i = 0; i < s.column_count(); ++i)
      table.columns.push_back(s.column_name(i));
    while (s.step()) {
      std::vector<store::Value> row;
      for (int i = 0; i < s.column_count(); ++i)
        row.push_back(s.column(i));
      table.rows.push_back(std::move(row));
    }
  } catch (const store::StoreError& e) {
    throw UsageError(
        std::string("query failed: ") + e.what() +
        "\n(the database is opened read-only; tables: sweeps, sweep_jobs, runs, "
        "params, metrics, evals, scores, examples, slurm_tasks; views: length_accuracy, "
        "run_summary, latest_metrics)");
  }
  return table;
}

void print_json(const Table& table) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : table.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t i = 0; i < table.columns.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              object[table.columns[i]] = nullptr;
            } else {
              object[table.columns[i]] = v;
            }
          },
          row[i]);
    }
    out.push_back(object);
  }
  std::cout << out.dump(2) << "\n";
}

void print_csv(const Table& table) {
  for (size_t i = 0; i < table.columns.size(); ++i)
    std::cout << (i ? "," : "") << csv_field(table.columns[i]);
  std::cout << "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i)
      std::cout << (i ? "," : "") << csv_field(text_of(row[i]));
    std::cout << "\n";
  }
}

// Columns padded to their widest cell, under a rule.
void print_table(const Table& table) {
  std::vector<size_t> width(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i)
    width[i] = table.columns[i].size();
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], text_of(row[i]).size());
  }
  const auto print_row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      std::cout << (i ? "  " : "") << cells[i] << std::string(width[i] - cells[i].size(), ' ');
    }
    std::cout << "\n";
  };
  print_row(table.columns);
  std::vector<std::string> rule;
  for (size_t w : width)
    rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : table.rows) {
    std::vector<std::string> cells;
    for (const auto& v : row)
      cells.push_back(text_of(v));
    print_row(cells);
  }
}

void query(const GlobalOptions& globals, const QueryOptions& options) {
  store::RunStore results = open_results_read_only(globals);
  const Table table = run_query(results.database(), options.sql);
  if (options.format == "json") {
    print_json(table);
  } else if (options.format == "csv") {
    print_csv(table);
  } else {
    print_table(table);
  }
}

}  // namespace

void add_query_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<QueryOptions>();
  CLI::App* cmd = app.add_subcommand("query", "Run read-only SQL over the results database.");
  cmd->add_option("sql", options->sql, "one SQL statement")->required();
  cmd->add_option("--format", options->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  cmd->footer(
      "Example:\n"
      "  attnlab query \"SELECT attention, length, sequence_accuracy FROM length_accuracy\n"
      "                 WHERE length = train_max_length\"");
  cmd->callback([&globals, options] { query(globals, *options); });
}

}  // namespace attnlab::runner
