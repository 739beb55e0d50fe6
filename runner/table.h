// Rows of typed values printed as an aligned text table, CSV or JSON: how
// `query`, `ls` and `show` print what they read. CSV and JSON keep every
// number's full precision (the shortest text that reads back the same
// double); the text table rounds to 6 significant digits for the eye.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/records.h"

namespace attnlab::runner {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<store::Value>> rows;
};

// A value as JSON (null, integer, number or string), and each row of a
// table as an object of its columns.
nlohmann::json json_of(const store::Value& value);
nlohmann::json json_rows(const Table& table);

// Steps `statement` to its end, collecting its columns and rows.
Table read_table(store::Statement& statement);

// "table", "csv", "json": the values of every command's --format.
const std::vector<std::string>& table_formats();

// Prints `table` to standard output in `format` (one of table_formats()).
// The text table shows NULL as "-".
void print_table(const Table& table, const std::string& format);

}  // namespace attnlab::runner
