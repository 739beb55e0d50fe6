// A thin RAII wrapper over the SQLite C API: one connection, prepared
// statements with typed binds, and transactions. This folder is the only
// place in attnlab that speaks SQL.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "store/records.h"

namespace attnlab::store {

// Any SQLite failure; the message names the database file and the statement.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const Value& value);  // 1-based, as in SQLite
  // Steps once. Returns true while a row is available.
  bool step();
  void reset();

  int column_count() const;
  std::string column_name(int i) const;
  Value column(int i) const;
  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

enum class OpenMode { kReadWrite, kReadOnly };

class Database {
 public:
  // REQUIRES: for kReadOnly, the file exists. kReadWrite creates the file and
  // its folder if needed, enables WAL and a busy timeout.
  Database(const std::filesystem::path& file, OpenMode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) { return Statement(db_, sql); }
  const std::filesystem::path& file() const { return file_; }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
};

// Runs a function inside BEGIN IMMEDIATE ... COMMIT; rolls back on exception.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace attnlab::store
