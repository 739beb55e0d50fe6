// Migrations are append-only: never edit one that has shipped, add another.
#include "store/schema.h"

#include <string>
#include <vector>

namespace attnlab::store {
namespace {

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> kMigrations = {
      // 1: sweeps, runs with their environment, metric history, per-length evaluations.
      R"sql(
CREATE TABLE sweeps (
  sweep_id    TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  overrides   TEXT NOT NULL,          -- JSON array of the command-line overrides
  n_jobs      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  created_at  TEXT NOT NULL,
  finished_at TEXT
);
-- The frozen plan: one row per job. Runs belong to a job through the config
-- hash, so a resumed sweep reuses runs completed by an earlier one.
CREATE TABLE sweep_jobs (
  sweep_id    TEXT NOT NULL REFERENCES sweeps(sweep_id) ON DELETE CASCADE,
  job_index   INTEGER NOT NULL,
  overrides   TEXT NOT NULL,          -- JSON array: the job's overrides
  config_hash TEXT NOT NULL,
  PRIMARY KEY (sweep_id, job_index)
);
CREATE TABLE runs (
  run_id           TEXT PRIMARY KEY,
  sweep_id         TEXT REFERENCES sweeps(sweep_id),  -- the sweep that ran it
  config_hash      TEXT NOT NULL,
  config_yaml      TEXT NOT NULL,     -- the composed, typed config
  overrides        TEXT NOT NULL,     -- JSON array of the overrides as typed
  seed             INTEGER NOT NULL,
  task             TEXT NOT NULL,
  model            TEXT NOT NULL,
  attention        TEXT NOT NULL,
  hidden_size      INTEGER NOT NULL,
  train_min_length INTEGER NOT NULL,
  train_max_length INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  error            TEXT,
  started_at       TEXT NOT NULL,
  finished_at      TEXT,
  wall_seconds     REAL,
  git_commit       TEXT NOT NULL,
  torch_version    TEXT NOT NULL,
  threads          INTEGER NOT NULL,
  cpu              TEXT NOT NULL,
  device           TEXT NOT NULL,
  hostname         TEXT NOT NULL
);
CREATE INDEX runs_by_hash ON runs(config_hash);
CREATE INDEX runs_by_sweep ON runs(sweep_id);
CREATE TABLE metrics (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  step   INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL NOT NULL,
  PRIMARY KEY (run_id, name, step)
);
CREATE TABLE evals (
  run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  length            INTEGER NOT NULL,
  n                 INTEGER NOT NULL,
  token_accuracy    REAL NOT NULL CHECK (token_accuracy BETWEEN 0 AND 1),
  sequence_accuracy REAL NOT NULL CHECK (sequence_accuracy BETWEEN 0 AND 1),
  PRIMARY KEY (run_id, length)
);
-- One row per completed run and evaluated source length.
CREATE VIEW length_accuracy AS
  SELECT r.sweep_id, r.run_id, r.attention, r.model, r.hidden_size, r.train_min_length,
         r.train_max_length, r.seed, e.length, e.n, e.token_accuracy, e.sequence_accuracy
  FROM evals e JOIN runs r USING (run_id)
  WHERE r.status = 'completed';
)sql",
      // 2: which decoder a run used and how many parameters its model has.
      R"sql(
ALTER TABLE runs ADD COLUMN decoder TEXT;        -- model.decoder, or the model for a Transformer
ALTER TABLE runs ADD COLUMN parameters INTEGER;  -- trainable parameters, once the model is built
DROP VIEW length_accuracy;
CREATE VIEW length_accuracy AS
  SELECT r.sweep_id, r.run_id, r.attention, r.model, r.decoder, r.hidden_size, r.parameters,
         r.train_min_length, r.train_max_length, r.seed, e.length, e.n, e.token_accuracy,
         e.sequence_accuracy
  FROM evals e JOIN runs r USING (run_id)
  WHERE r.status = 'completed';
)sql",
  };
  return kMigrations;
}

int user_version(Database& db) {
  Statement s = db.prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.column_int(0));
}

}  // namespace

int schema_version() {
  return static_cast<int>(migrations().size());
}

void migrate(Database& db) {
  const int current = user_version(db);
  if (current > schema_version()) {
    throw StoreError(db.file().string() + ": schema version " + std::to_string(current) +
                     " is newer than this attnlab understands (" +
                     std::to_string(schema_version()) + "); use a newer attnlab");
  }
  for (int v = current; v < schema_version(); ++v) {
    Transaction txn(db);
    // Re-check inside the write lock: another process may have migrated meanwhile.
    if (user_version(db) > v) continue;
    db.exec(migrations()[v]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    txn.commit();
  }
}

}  // namespace attnlab::store
