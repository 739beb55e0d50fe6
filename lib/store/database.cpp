// SQLite wrapper. Errors carry the file name and SQLite's own message.
#include "store/database.h"

namespace attnlab::store {

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt_);
    throw StoreError(message + " in SQL: " + sql);
  }
  if (stmt_ == nullptr) throw StoreError("empty SQL statement");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, const Value& value) {
  int rc = SQLITE_OK;
  if (std::holds_alternative<std::monostate>(value)) {
    rc = sqlite3_bind_null(stmt_, index);
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    rc = sqlite3_bind_int64(stmt_, index, *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    rc = sqlite3_bind_double(stmt_, index, *d);
  } else {
    const auto& s = std::get<std::string>(value);
    rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  if (rc != SQLITE_OK) throw StoreError(std::string(sqlite3_errmsg(db_)) + " binding " + sql_);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw StoreError(std::string(sqlite3_errmsg(db_)) + " in SQL: " + sql_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}
std::string Statement::column_name(int i) const {
  return sqlite3_column_name(stmt_, i);
}
std::int64_t Statement::column_int(int i) const {
  return sqlite3_column_int64(stmt_, i);
}
double Statement::column_double(int i) const {
  return sqlite3_column_double(stmt_, i);
}

std::string Statement::column_text(int i) const {
  const auto* text = sqlite3_column_text(stmt_, i);
  return text == nullptr ? "" : reinterpret_cast<const char*>(text);
}

Value Statement::column(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER:
      return column_int(i);
    case SQLITE_FLOAT:
      return column_double(i);
    case SQLITE_NULL:
      return std::monostate{};
    default:
      return column_text(i);
  }
}

Database::Database(const std::filesystem::path& file, OpenMode mode) : file_(file) {
  int flags = SQLITE_OPEN_READONLY;
  if (mode == OpenMode::kReadWrite) {
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (file.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(file.parent_path(), ec);
      if (ec) {
        throw StoreError(file.string() + ": cannot create folder " + file.parent_path().string() +
                         ": " + ec.message());
      }
    }
  } else if (!std::filesystem::exists(file)) {
    throw StoreError(file.string() +
                     ": no such database (run `attnlab run` or `attnlab sweep` first, or pass "
                     "--db PATH)");
  }
  if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file.string() + ": cannot open database: " + message);
  }
  sqlite3_busy_timeout(db_, 30000);
  exec("PRAGMA foreign_keys = ON");
  if (mode == OpenMode::kReadOnly) exec("PRAGMA query_only = ON");  // belt and braces
  if (mode == OpenMode::kReadWrite) {
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = FULL");  // a committed run survives a power cut
  }
}

Database::~Database() {
  sqlite3_close(db_);
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw StoreError(file_.string() + ": " + message);
  }
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace attnlab::store
