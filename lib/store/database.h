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

// Any SQLite failure; the message names the database file and what SQLite
// said, never the SQL (a user reads it, and runs.error keeps it).
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run or sweep id prefix that more than one id starts with: the user
// gives more of it (a usage error, exit 2).
class AmbiguousId : public StoreError {
 public:
  using StoreError::StoreError;
};

class Statement {
 public:
  // Prepares the first statement of `sql` on the connection to `file`;
  // rest() is what follows it.
  Statement(sqlite3* db, const std::filesystem::path& file, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, const Value& value);  // 1-based, as in SQLite
  // Steps once. Returns true while a row is available.
  bool step();
  void reset();

  // The text after the prepared statement ("" when it was the last).
  const std::string& rest() const { return rest_; }
  // True when stepping cannot change the database (sqlite3_stmt_readonly).
  bool read_only() const { return sqlite3_stmt_readonly(stmt_) != 0; }

  int column_count() const;
  std::string column_name(int i) const;
  Value column(int i) const;
  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;

 private:
  // Throws StoreError with SQLite's last error, after the file's name.
  [[noreturn]] void fail() const;

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string file_;
  std::string rest_;
};

enum class OpenMode { kReadWrite, kReadOnly };

class Database {
 public:
  // REQUIRES: for kReadOnly, the file exists. kReadWrite creates the file and
  // its folder if needed. Both set a busy timeout. kReadOnly opens a
  // database in a folder this user cannot write (where SQLite cannot make
  // its shared-memory file) as immutable.
  Database(const std::filesystem::path& file, OpenMode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Write-ahead logging, and commits that survive a power cut: what a
  // writer switches on once it knows the file is an attnlab database.
  void use_wal();
  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) { return Statement(db_, file_, sql); }
  // True when `sql` holds a statement (not only spaces, comments and ';').
  bool holds_statement(const std::string& sql);
  // Replaces the connection with an in-memory copy of the database (SQLite's
  // backup): a reader migrates what an older attnlab wrote there, and the
  // file is left as it is.
  void copy_into_memory();
  const std::filesystem::path& file() const { return file_; }
  sqlite3* handle() { return db_; }

 private:
  // Opens `name` (a path, or a URI with SQLITE_OPEN_URI) with `flags`.
  void open(const std::string& name, int flags);

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
