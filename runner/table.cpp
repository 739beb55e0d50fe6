#include "runner/table.h"

#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace attnlab::runner {
namespace {

// A value as text: integers whole, doubles in full (the shortest text that
// reads back the same) or, for the eye, to 6 significant digits.
std::string text_of(const store::Value& v, bool full, const std::string& null) {
  if (std::holds_alternative<std::monostate>(v)) return null;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) {
    if (full) {
      char buffer[32];
      const auto end = std::to_chars(buffer, buffer + sizeof buffer, *d).ptr;
      return std::string(buffer, end);
    }
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

void print_json(const Table& table) {
  std::cout << json_rows(table).dump(2) << "\n";
}

void print_csv(const Table& table) {
  for (size_t i = 0; i < table.columns.size(); ++i)
    std::cout << (i ? "," : "") << csv_field(table.columns[i]);
  std::cout << "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i)
      std::cout << (i ? "," : "") << csv_field(text_of(row[i], true, ""));
    std::cout << "\n";
  }
}

// Columns padded to their widest cell, under a rule.
void print_text(const Table& table) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& row : table.rows) {
    cells.emplace_back();
    for (const auto& v : row)
      cells.back().push_back(text_of(v, false, "-"));
  }
  std::vector<size_t> width(table.columns.size());
  for (size_t i = 0; i < table.columns.size(); ++i)
    width[i] = table.columns[i].size();
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += (i ? "  " : "") + row[i] + std::string(width[i] - row[i].size(), ' ');
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    std::cout << line << "\n";
  };
  print_row(table.columns);
  std::vector<std::string> rule;
  for (size_t w : width)
    rule.push_back(std::string(w, '-'));
  print_row(rule);
  for (const auto& row : cells)
    print_row(row);
}

}  // namespace

nlohmann::json json_of(const store::Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return nullptr;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::get<std::string>(v);
}

nlohmann::json json_rows(const Table& table) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : table.rows) {
    nlohmann::json object = nlohmann::json::object();
    for (size_t i = 0; i < row.size(); ++i)
      object[table.columns[i]] = json_of(row[i]);
    out.push_back(std::move(object));
  }
  return out;
}

Table read_table(store::Statement& statement) {
  Table table;
  for (int i = 0; i < statement.column_count(); ++i)
    table.columns.push_back(statement.column_name(i));
  while (statement.step()) {
    std::vector<store::Value> row;
    for (int i = 0; i < statement.column_count(); ++i)
      row.push_back(statement.column(i));
    table.rows.push_back(std::move(row));
  }
  return table;
}

const std::vector<std::string>& table_formats() {
  static const std::vector<std::string> kFormats = {"table", "csv", "json"};
  return kFormats;
}

void print_table(const Table& table, const std::string& format) {
  if (format == "json") {
    print_json(table);
  } else if (format == "csv") {
    print_csv(table);
  } else {
    print_text(table);
  }
}

}  // namespace attnlab::runner
