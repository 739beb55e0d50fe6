// The shard is attached to the main connection, so each copy is one
// INSERT ... SELECT, and the whole merge commits or rolls back as one.
#include "store/merge.h"

#include <algorithm>

namespace attnlab::store {
namespace {

// Tables that hang off a run, by run_id.
const char* const kRunTables[] = {"params", "metrics", "evals", "scores", "examples", "tags"};

std::vector<std::string> columns(Database& db, const std::string& schema,
                                 const std::string& table) {
  Statement s = db.prepare("SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid");
  s.bind(1, table).bind(2, schema);
  std::vector<std::string> out;
  while (s.step())
    out.push_back(s.column_text(0));
  return out;
}

// The columns both databases have, in the main one's order.
std::vector<std::string> shared_columns(Database& db, const std::string& table) {
  const auto theirs = columns(db, "shard", table);
  std::vector<std::string> out;
  for (const auto& c : columns(db, "main", table)) {
    if (std::find(theirs.begin(), theirs.end(), c) != theirs.end()) out.push_back(c);
  }
  return out;
}

std::string joined(const std::vector<std::string>& names, const std::string& replace = "",
                   const std::string& by = "") {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n == replace ? by : n;
  }
  return out;
}

// Copies rows of `table` whose run_id is `from` in the shard, as run `to`.
void copy_rows(Database& db, const std::string& table, const std::string& from,
               const std::string& to) {
  const auto names = shared_columns(db, table);
  Statement copy =
      db.prepare("INSERT INTO main." + table + " (" + joined(names) + ") SELECT " +
                 joined(names, "run_id", "?1") + " FROM shard." + table + " WHERE run_id = ?2");
  copy.bind(1, to).bind(2, from);
  copy.step();
}

std::vector<Value> row_of(Database& db, const std::string& schema,
                          const std::vector<std::string>& names, const std::string& where_column,
                          const std::string& id) {
  Statement s = db.prepare("SELECT " + joined(names) + " FROM " + schema + ".runs WHERE " +
                           where_column + " = ?1");
  s.bind(1, id);
  std::vector<Value> out;
  if (!s.step()) return out;
  for (int i = 0; i < s.column_count(); ++i)
    out.push_back(s.column(i));
  return out;
}

bool taken(Database& db, const std::string& run_id) {
  Statement s = db.prepare("SELECT 1 FROM main.runs WHERE run_id = ?1");
  s.bind(1, run_id);
  return s.step();
}

// The shard's id if it is free, else the next "<hash prefix>-k" that is.
std::string free_run_id(Database& db, const std::string& wanted, const std::string& config_hash) {
  if (!taken(db, wanted)) return wanted;
  const std::string base = config_hash.substr(0, 10);
  for (int k = 2;; ++k) {
    const std::string id = base + "-" + std::to_string(k);
    if (!taken(db, id)) return id;
  }
}

// The shard's sweeps (and plans) that the main database lacks.
void copy_missing_sweeps(Database& db) {
  const auto sweep_columns = joined(shared_columns(db, "sweeps"));
  db.exec("INSERT INTO main.sweeps (" + sweep_columns + ") SELECT " + sweep_columns +
          " FROM shard.sweeps WHERE sweep_id NOT IN (SELECT sweep_id FROM main.sweeps)");
  const auto job_columns = joined(shared_columns(db, "sweep_jobs"));
  db.exec("INSERT OR IGNORE INTO main.sweep_jobs (" + job_columns + ") SELECT " + job_columns +
          " FROM shard.sweep_jobs");
}

// Opens the shard on its own first: a damaged file (RunStore runs
// quick_check), or one from a newer attnlab, is reported instead of
// attached; an older one is migrated.
std::string check_shard(const std::filesystem::path& shard) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(shard, error)) return "no such file";
  try {
    RunStore store(shard, OpenMode::kReadWrite);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

const char* action_name(MergeAction action) {
  switch (action) {
    case MergeAction::kAdded:
      return "added";
    case MergeAction::kUpdated:
      return "updated";
    case MergeAction::kUnchanged:
      return "unchanged";
    case MergeAction::kRunning:
      return "running";
  }
  return "";
}

namespace {

void drop_run(Database& db, const std::string& run_id) {
  for (const char* table : kRunTables) {
    Statement drop = db.prepare(std::string("DELETE FROM main.") + table + " WHERE run_id = ?1");
    drop.bind(1, run_id);
    drop.step();
  }
  Statement drop = db.prepare("DELETE FROM main.runs WHERE run_id = ?1");
  drop.bind(1, run_id);
  drop.step();
}

// Merges the runs of the attached shard, one at a time, inside the caller's
// transaction.
class RunMerger {
 public:
  RunMerger(Database& db, const std::optional<EndedRun>& ended) : db_(db), ended_(ended) {
    for (const auto& n : shared_columns(db, "runs")) {
      if (n != "run_id") compared_.push_back(n);  // the id may differ
    }
  }

  MergedRun merge(const std::string& shard_run_id, const std::string& uid,
                  const std::string& config_hash, RunStatus status);

 private:
  size_t index_of(const std::string& name) const {
    return static_cast<size_t>(std::find(compared_.begin(), compared_.end(), name) -
                               compared_.begin());
  }
  // The shard's row of the run, as it will stand in the main database.
  std::vector<Value> their_row(const std::string& shard_run_id, RunStatus status) const;

  Database& db_;
  const std::optional<EndedRun>& ended_;
  std::vector<std::string> compared_;  // the runs columns both have, but the id
};

std::vector<Value> RunMerger::their_row(const std::string& shard_run_id, RunStatus status) const {
  std::vector<Value> theirs = row_of(db_, "shard", compared_, "run_id", shard_run_id);
  if (status == RunStatus::kRunning) {
    // It never recorded its end: it ends at its last sign of life.
    theirs[index_of("status")] = status_name(ended_->status);
    theirs[index_of("error")] = ended_->error;
    theirs[index_of("pid")] = std::monostate{};
    theirs[index_of("finished_at")] =
        row_of(db_, "shard", {"coalesce(heartbeat_at, started_at)"}, "run_id", shard_run_id)[0];
  }
  return theirs;
}

MergedRun RunMerger::merge(const std::string& shard_run_id, const std::string& uid,
                           const std::string& config_hash, RunStatus status) {
  MergedRun merged;
  merged.shard_run_id = shard_run_id;
  merged.status = status;
  if (status == RunStatus::kRunning && !ended_) {
    merged.action = MergeAction::kRunning;
    return merged;
  }
  if (status == RunStatus::kRunning) merged.status = ended_->status;
  const std::vector<Value> theirs = their_row(shard_run_id, status);
  Statement existing = db_.prepare("SELECT run_id FROM main.runs WHERE uid = ?1");
  existing.bind(1, uid);
  if (existing.step()) {
    merged.run_id = existing.column_text(0);
    if (row_of(db_, "main", compared_, "run_id", merged.run_id) == theirs) {
      merged.action = MergeAction::kUnchanged;
      return merged;
    }
    drop_run(db_, merged.run_id);
    merged.action = MergeAction::kUpdated;
  } else {
    merged.run_id = free_run_id(db_, shard_run_id, config_hash);
    merged.action = MergeAction::kAdded;
  }
  copy_rows(db_, "runs", shard_run_id, merged.run_id);
  if (status == RunStatus::kRunning) {
    Statement end = db_.prepare(
        "UPDATE main.runs SET status = ?2, error = ?3, pid = NULL, finished_at = ?4 "
        "WHERE run_id = ?1");
    end.bind(1, merged.run_id)
        .bind(2, status_name(ended_->status))
        .bind(3, ended_->error)
        .bind(4, theirs[index_of("finished_at")]);
    end.step();
  }
  for (const char* table : kRunTables)
    copy_rows(db_, table, shard_run_id, merged.run_id);
  return merged;
}

}  // namespace

ShardMerge merge_shard(RunStore& into, const std::filesystem::path& shard,
                       const std::optional<EndedRun>& ended) {
  ShardMerge result;
  result.shard = shard;
  result.problem = check_shard(shard);
  if (!result.problem.empty()) return result;

  Database& db = into.database();
  {
    Statement attach = db.prepare("ATTACH DATABASE ?1 AS shard");
    attach.bind(1, shard.string());
    attach.step();
  }
  try {
    Transaction txn(db);
    copy_missing_sweeps(db);
    RunMerger merger(db, ended);
    Statement runs =
        db.prepare("SELECT run_id, uid, config_hash, status FROM shard.runs ORDER BY rowid");
    while (runs.step()) {
      result.runs.push_back(merger.merge(runs.column_text(0), runs.column_text(1),
                                         runs.column_text(2),
                                         run_statuses().at(runs.column_text(3))));
    }
    txn.commit();
  } catch (...) {
    db.exec("DETACH DATABASE shard");
    throw;
  }
  db.exec("DETACH DATABASE shard");
  return result;
}

}  // namespace attnlab::store
