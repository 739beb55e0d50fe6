// SQLite wrapper. Errors carry the file name and SQLite's own message.
#include "store/database.h"

namespace attnlab::store {
namespace {

// False when reading fails because SQLite cannot open or write what a
// reader of a WAL database needs (its -shm file).
bool readable(sqlite3* db) {
  const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  const int primary = rc & 0xff;
  return primary != SQLITE_CANTOPEN && primary != SQLITE_READONLY;
}

// file:PATH?immutable=1, with the characters a URI gives meaning escaped.
std::string immutable_uri(const std::filesystem::path& file) {
  std::string uri = "file:";
  for (char c : file.string()) {
    if (c == '%' || c == '?' || c == '#') {
      static const char* const kHex = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      uri += {'%', kHex[byte >> 4], kHex[byte & 15]};
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

// SQLite's message for the last error on `db`; for a write that failed for
// want of room (SQLITE_FULL, or the I/O error a full disk gives a WAL's
// shared memory), with the room left where the database lives.
std::string error_of(sqlite3* db) {
  std::string message = sqlite3_errmsg(db);
  const int code = sqlite3_errcode(db);
  if (code != SQLITE_FULL && code != SQLITE_IOERR) return message;
  const char* file = sqlite3_db_filename(db, "main");
  std::error_code error;
  const auto space = std::filesystem::space(
      std::filesystem::path(file != nullptr && *file != '\0' ? file : ".").parent_path(), error);
  if (!error) {
    message += " (the disk holding the database has " + std::to_string(space.available / 1024) +
               " kB free; is it full?)";
  }
  return message;
}

}  // namespace

Statement::Statement(sqlite3* db, const std::filesystem::path& file, const std::string& sql)
    : db_(db), file_(file.string()) {
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt_, &tail) !=
      SQLITE_OK) {
    fail();
  }
  if (stmt_ == nullptr) throw StoreError(file_ + ": no SQL statement to run");
  if (tail != nullptr) rest_ = sql.substr(static_cast<size_t>(tail - sql.c_str()));
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
  if (rc != SQLITE_OK) fail();
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail();
}

void Statement::fail() const {
  throw StoreError(file_ + ": " + error_of(db_));
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
  open(file.string(), flags);
  if (mode == OpenMode::kReadOnly && !readable(db_)) {
    // A WAL database in a folder this user cannot write: SQLite cannot make
    // its shared-memory file. Nobody can write there either, so the file
    // is read as it stands.
    sqlite3_close(db_);
    db_ = nullptr;
    open(immutable_uri(file), flags | SQLITE_OPEN_URI);
  }
  if (mode == OpenMode::kReadWrite && sqlite3_db_readonly(db_, "main") == 1) {
    // SQLite falls back to reading a file it may not write (permissions,
    // chattr +i); every write would then fail, after the work.
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file.string() + ": cannot be written (the file or its folder is read-only)");
  }
  sqlite3_busy_timeout(db_, 30000);
  exec("PRAGMA foreign_keys = ON");
  if (mode == OpenMode::kReadOnly) exec("PRAGMA query_only = ON");  // belt and braces
}

void Database::use_wal() {
  exec("PRAGMA journal_mode = WAL");
  exec("PRAGMA synchronous = FULL");  // a committed run survives a power cut
}

void Database::open(const std::string& name, int flags) {
  if (sqlite3_open_v2(name.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file_.string() + ": cannot open database: " + message);
  }
}

Database::~Database() {
  sqlite3_close(db_);
}

bool Database::holds_statement(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  sqlite3_finalize(stmt);
  return rc != SQLITE_OK || stmt != nullptr;  // what does not parse counts as one
}

void Database::copy_into_memory() {
  sqlite3* memory = nullptr;
  if (sqlite3_open(":memory:", &memory) != SQLITE_OK) {
    sqlite3_close(memory);
    throw StoreError(file_.string() + ": cannot open an in-memory database");
  }
  sqlite3_backup* backup = sqlite3_backup_init(memory, "main", db_, "main");
  const int rc = backup == nullptr ? SQLITE_ERROR : sqlite3_backup_step(backup, -1);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    const std::string message = sqlite3_errmsg(memory);
    sqlite3_close(memory);
    throw StoreError(file_.string() + ": cannot read it into memory: " + message);
  }
  sqlite3_close(db_);
  db_ = memory;
  exec("PRAGMA foreign_keys = ON");
}

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error_of(db_);
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
