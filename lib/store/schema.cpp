// Migrations are append-only: never edit one that has shipped, add another.
#include "store/schema.h"

#include <algorithm>
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
      // 3: run states (finished, diverged, interrupted), liveness (pid,
      // heartbeat), checkpoints, the full environment, frozen job configs,
      // typed parameters, latest metrics and one summary row per run.
      // SQLite cannot change a CHECK, so runs is rebuilt (foreign keys are
      // off while migrating; see migrate()).
      R"sql(
DROP VIEW length_accuracy;
CREATE TABLE runs_v3 (
  run_id           TEXT PRIMARY KEY,
  sweep_id         TEXT REFERENCES sweeps(sweep_id),
  config_hash      TEXT NOT NULL,
  config_yaml      TEXT NOT NULL,
  overrides        TEXT NOT NULL,
  seed             INTEGER NOT NULL,
  task             TEXT NOT NULL,
  model            TEXT NOT NULL,
  attention        TEXT NOT NULL,
  hidden_size      INTEGER NOT NULL,
  train_min_length INTEGER NOT NULL,
  train_max_length INTEGER NOT NULL,
  status           TEXT NOT NULL
                   CHECK (status IN ('running', 'finished', 'failed', 'diverged', 'interrupted')),
  error            TEXT,
  started_at       TEXT NOT NULL,
  finished_at      TEXT,
  wall_seconds     REAL,
  git_commit       TEXT NOT NULL,
  torch_version    TEXT NOT NULL,
  threads          INTEGER NOT NULL,
  cpu              TEXT NOT NULL,
  device           TEXT NOT NULL,
  hostname         TEXT NOT NULL,
  decoder          TEXT,
  parameters       INTEGER,
  pid              INTEGER,           -- the process training it, while running
  heartbeat_at     TEXT,              -- last sign of life of that process
  checkpoint_step  INTEGER,           -- last step saved in results/runs/RUN_ID/checkpoint.pt
  git_dirty        INTEGER,           -- 1 when the source tree had uncommitted changes
  attnlab_version  TEXT,
  blas             TEXT,
  gpu              TEXT
);
INSERT INTO runs_v3 (run_id, sweep_id, config_hash, config_yaml, overrides, seed, task, model,
                     attention, hidden_size, train_min_length, train_max_length, status, error,
                     started_at, finished_at, wall_seconds, git_commit, torch_version, threads,
                     cpu, device, hostname, decoder, parameters)
  SELECT run_id, sweep_id, config_hash, config_yaml, overrides, seed, task, model, attention,
         hidden_size, train_min_length, train_max_length,
         CASE status WHEN 'completed' THEN 'finished'
                     WHEN 'running' THEN 'interrupted' ELSE status END,
         error, started_at, finished_at, wall_seconds, git_commit, torch_version, threads, cpu,
         device, hostname, decoder, parameters
  FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v3 RENAME TO runs;
CREATE INDEX runs_by_hash ON runs(config_hash);
CREATE INDEX runs_by_sweep ON runs(sweep_id);
ALTER TABLE sweep_jobs ADD COLUMN config_yaml TEXT;  -- the job's composed config, frozen
ALTER TABLE sweeps ADD COLUMN git_commit TEXT;       -- the code that planned the sweep
-- Every setting of a run, flattened ('model.hidden_size'), with its type kept.
CREATE TABLE params (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value,
  PRIMARY KEY (run_id, key)
);
CREATE VIEW length_accuracy AS
  SELECT r.sweep_id, r.run_id, r.attention, r.model, r.decoder, r.hidden_size, r.parameters,
         r.train_min_length, r.train_max_length, r.seed, e.length, e.n, e.token_accuracy,
         e.sequence_accuracy
  FROM evals e JOIN runs r USING (run_id)
  WHERE r.status = 'finished';
CREATE VIEW latest_metrics AS
  SELECT m.run_id, m.name, m.step, m.value
  FROM metrics m
  WHERE m.step = (SELECT max(step) FROM metrics WHERE run_id = m.run_id AND name = m.name);
CREATE VIEW run_summary AS
  SELECT r.run_id, r.sweep_id, r.status, r.task, r.model, r.decoder, r.attention, r.hidden_size,
         r.parameters, r.seed, r.train_min_length, r.train_max_length,
         (SELECT value FROM latest_metrics WHERE run_id = r.run_id AND name = 'train_loss')
           AS final_loss,
         (SELECT value FROM latest_metrics WHERE run_id = r.run_id AND name = 'steps_per_second')
           AS steps_per_second,
         (SELECT avg(sequence_accuracy) FROM evals
           WHERE run_id = r.run_id AND length BETWEEN r.train_min_length AND r.train_max_length)
           AS train_exact,
         (SELECT sequence_accuracy FROM evals
           WHERE run_id = r.run_id AND length = r.train_max_length) AS longest_train_exact,
         (SELECT avg(sequence_accuracy) FROM evals
           WHERE run_id = r.run_id AND length > r.train_max_length) AS beyond_train_exact,
         r.wall_seconds, r.started_at, r.error
  FROM runs r;
)sql",
      // 4: error rate and BLEU per length, whole-split scores, decoded
      // examples with their attention, and the experiment file of a sweep
      // (its claims are checked against it when the report is drawn).
      R"sql(
ALTER TABLE evals ADD COLUMN error_rate REAL;  -- edit distance / reference tokens
ALTER TABLE evals ADD COLUMN bleu REAL;        -- corpus BLEU of the bucket, 0..100
CREATE TABLE scores (
  run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  split             TEXT NOT NULL CHECK (split IN ('test', 'dev')),
  n                 INTEGER NOT NULL,
  token_accuracy    REAL NOT NULL CHECK (token_accuracy BETWEEN 0 AND 1),
  sequence_accuracy REAL NOT NULL CHECK (sequence_accuracy BETWEEN 0 AND 1),
  error_rate        REAL NOT NULL CHECK (error_rate >= 0),
  bleu              REAL NOT NULL CHECK (bleu BETWEEN 0 AND 100),
  PRIMARY KEY (run_id, split)
);
-- A few decoded evaluation examples per run. Tokens are JSON arrays; weights
-- a JSON array of rows, one per output token, over the source tokens.
CREATE TABLE examples (
  run_id        TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  example_index INTEGER NOT NULL,
  length        INTEGER NOT NULL,
  source        TEXT NOT NULL,
  reference     TEXT NOT NULL,
  prediction    TEXT NOT NULL,
  source_tokens TEXT NOT NULL,
  output_tokens TEXT NOT NULL,
  weights       TEXT,                  -- NULL for a model without attention
  PRIMARY KEY (run_id, example_index)
);
ALTER TABLE sweeps ADD COLUMN experiment_yaml TEXT;  -- the experiment file the sweep ran
DROP VIEW length_accuracy;
CREATE VIEW length_accuracy AS
  SELECT r.sweep_id, r.run_id, r.task, r.attention, r.model, r.decoder, r.hidden_size,
         r.parameters, r.train_min_length, r.train_max_length, r.seed, e.length, e.n,
         e.token_accuracy, e.sequence_accuracy, e.error_rate, e.bleu
  FROM evals e JOIN runs r USING (run_id)
  WHERE r.status = 'finished';
)sql",
      // 5: which evaluated examples were decoded exactly, so that reports can
      // bootstrap over examples (paired between runs of one seed), and what
      // lengths count, for axis labels; the run summary weighs lengths by
      // their examples.
      R"sql(
ALTER TABLE evals ADD COLUMN outcomes TEXT;  -- '1'/'0' per example (exact match), in order
ALTER TABLE runs ADD COLUMN length_unit TEXT;  -- what the task's lengths count ('symbols')
DROP VIEW run_summary;
CREATE VIEW run_summary AS
  SELECT r.run_id, r.sweep_id, r.status, r.task, r.model, r.decoder, r.attention, r.hidden_size,
         r.parameters, r.seed, r.train_min_length, r.train_max_length,
         (SELECT value FROM latest_metrics WHERE run_id = r.run_id AND name = 'train_loss')
           AS final_loss,
         (SELECT value FROM latest_metrics WHERE run_id = r.run_id AND name = 'steps_per_second')
           AS steps_per_second,
         (SELECT sum(n * sequence_accuracy) / sum(n) FROM evals
           WHERE run_id = r.run_id AND length BETWEEN r.train_min_length AND r.train_max_length)
           AS train_exact,
         (SELECT sequence_accuracy FROM evals
           WHERE run_id = r.run_id AND length = r.train_max_length) AS longest_train_exact,
         (SELECT sum(n * sequence_accuracy) / sum(n) FROM evals
           WHERE run_id = r.run_id AND length > r.train_max_length) AS beyond_train_exact,
         r.wall_seconds, r.started_at, r.error
  FROM runs r;
)sql",
      // 6: the run process's peak resident memory, for sizing jobs (Slurm's
      // --mem, how many runs fit at once).
      R"sql(
ALTER TABLE runs ADD COLUMN peak_memory_bytes INTEGER;  -- maximum resident set size
)sql",
      // 7: sweeps run through Slurm. Each array task writes its own shard
      // database; a random id per run lets shards merge into the main
      // database idempotently. Every Slurm task a job had, with the state
      // Slurm last reported, is kept per sweep job.
      R"sql(
ALTER TABLE runs ADD COLUMN uid TEXT;           -- random, unique across databases
UPDATE runs SET uid = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX runs_by_uid ON runs(uid);
ALTER TABLE runs ADD COLUMN slurm_job_id TEXT;  -- 'ARRAY_TASK' of the Slurm task that ran it
ALTER TABLE sweeps ADD COLUMN launcher TEXT;       -- 'local' or 'slurm'
ALTER TABLE sweeps ADD COLUMN launcher_yaml TEXT;  -- the launcher's options, as used
CREATE TABLE slurm_tasks (
  sweep_id     TEXT NOT NULL REFERENCES sweeps(sweep_id) ON DELETE CASCADE,
  job_index    INTEGER NOT NULL,  -- the job in the sweep's plan (0-based)
  slurm_job_id TEXT NOT NULL,     -- 'ARRAY_TASK'
  state        TEXT NOT NULL,     -- Slurm's state when last seen: PENDING, RUNNING, COMPLETED, ...
  reason       TEXT,              -- Slurm's reason, or what attnlab concluded
  submitted_at TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (sweep_id, job_index, slurm_job_id)
);
)sql",
      // 8: a run's identity covers its data, and the training protocol
      // chooses its weights on dev: which step was kept, and how many were
      // trained (fewer than train.steps when it stopped early). Test scores
      // gain the teacher-forced perplexity (Luong et al. 2015, Table 4).
      R"sql(
ALTER TABLE runs ADD COLUMN data_identity TEXT;    -- data files' digests, ICU/CLDR; NULL: none read
ALTER TABLE runs ADD COLUMN selected_step INTEGER;  -- the step whose weights were evaluated
ALTER TABLE runs ADD COLUMN trained_steps INTEGER;  -- steps trained
ALTER TABLE evals ADD COLUMN perplexity REAL;   -- teacher-forced, per reference token; NULL: not measured
ALTER TABLE scores ADD COLUMN perplexity REAL;
)sql",
      // 9: which engine trained a run (train.engine).
      R"sql(
ALTER TABLE runs ADD COLUMN engine TEXT;  -- 'fused' or 'modules'; NULL: trained before engines
)sql",
      // 10: each device's measured matrix-product peak, so that runs on
      // different hardware compare on the compute they had (runs copy it
      // into their metrics as peak_gflops).
      R"sql(
CREATE TABLE device_peaks (
  hostname    TEXT NOT NULL,
  device      TEXT NOT NULL,     -- 'cpu', 'cuda', 'cuda:1'
  dtype       TEXT NOT NULL,     -- 'fp32' or 'bf16'
  threads     INTEGER NOT NULL,  -- LibTorch threads (the CPU's peak depends on them)
  gflops      REAL NOT NULL,     -- best torch::mm rate measured
  measured_at TEXT NOT NULL,
  PRIMARY KEY (hostname, device, dtype, threads)
);
)sql",
      // 11: one driver per sweep. The process driving a sweep holds a lease
      // on it, taken in a transaction and renewed while it drives; a
      // successor takes over a lease whose process is gone from this host,
      // or that nobody renewed in time (store/driver_lease.h).
      R"sql(
ALTER TABLE sweeps ADD COLUMN driver_host TEXT;        -- NULL: nobody drives the sweep
ALTER TABLE sweeps ADD COLUMN driver_pid INTEGER;
ALTER TABLE sweeps ADD COLUMN driver_renewed_at TEXT;  -- the driver's last renewal
)sql",
      // 12: what a researcher does with runs afterwards: the config as JSON
      // (for SQLite's json_extract), the digest of the weights a run kept
      // for `attnlab decode`, and free-form tags outside a run's identity.
      R"sql(
ALTER TABLE runs ADD COLUMN config_json TEXT;     -- NULL: recorded before schema 12
ALTER TABLE runs ADD COLUMN weights_sha256 TEXT;  -- of runs/RUN_ID/model.pt; NULL: none kept
CREATE TABLE tags (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
)sql",
      // 13: BLEU is undefined (NULL) where no reference has four tokens, and
      // is counted on the task's own tokens. SQLite cannot drop a NOT NULL,
      // so scores is rebuilt; the scores stored before keep their values.
      R"sql(
CREATE TABLE scores_v13 (
  run_id            TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  split             TEXT NOT NULL CHECK (split IN ('test', 'dev')),
  n                 INTEGER NOT NULL,
  token_accuracy    REAL NOT NULL CHECK (token_accuracy BETWEEN 0 AND 1),
  sequence_accuracy REAL NOT NULL CHECK (sequence_accuracy BETWEEN 0 AND 1),
  error_rate        REAL NOT NULL CHECK (error_rate >= 0),
  bleu              REAL CHECK (bleu BETWEEN 0 AND 100),  -- NULL: undefined, no 4-grams
  perplexity        REAL,
  PRIMARY KEY (run_id, split)
);
INSERT INTO scores_v13 (run_id, split, n, token_accuracy, sequence_accuracy, error_rate, bleu,
                        perplexity)
  SELECT run_id, split, n, token_accuracy, sequence_accuracy, error_rate, bleu, perplexity
  FROM scores;
DROP TABLE scores;
ALTER TABLE scores_v13 RENAME TO scores;
)sql",
      // 14: where the attention looks, against the task's gold alignment
      // (copy, reverse, sort): alignment error rate and the share of steps
      // whose strongest weight is on a gold position. NULL: not measured.
      R"sql(
ALTER TABLE evals ADD COLUMN aer REAL CHECK (aer BETWEEN 0 AND 1);
ALTER TABLE evals ADD COLUMN alignment_accuracy REAL CHECK (alignment_accuracy BETWEEN 0 AND 1);
ALTER TABLE scores ADD COLUMN aer REAL CHECK (aer BETWEEN 0 AND 1);
ALTER TABLE scores ADD COLUMN alignment_accuracy REAL CHECK (alignment_accuracy BETWEEN 0 AND 1);
)sql",
      // 15: the per-example sums an error rate's interval needs (edits e and
      // reference tokens r of each example): sum e, sum r, sum e^2, sum e r,
      // sum r^2. NULL: not recorded.
      R"sql(
ALTER TABLE evals ADD COLUMN edits INTEGER CHECK (edits >= 0);
ALTER TABLE evals ADD COLUMN reference_tokens INTEGER CHECK (reference_tokens >= 0);
ALTER TABLE evals ADD COLUMN edits_squared INTEGER CHECK (edits_squared >= 0);
ALTER TABLE evals ADD COLUMN edits_by_reference INTEGER CHECK (edits_by_reference >= 0);
ALTER TABLE evals ADD COLUMN reference_squared INTEGER CHECK (reference_squared >= 0);
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

int file_schema(const std::filesystem::path& file) {
  Database db(file, OpenMode::kReadOnly);
  return user_version(db);
}

bool needs_migration(Database& db) {
  return user_version(db) < schema_version();
}

int schema_version() {
  return static_cast<int>(migrations().size());
}

void check_schema(Database& db) {
  const int current = user_version(db);
  if (current > schema_version()) {
    throw StoreError(db.file().string() + ": schema version " + std::to_string(current) +
                     " is newer than this attnlab understands (" +
                     std::to_string(schema_version()) + "); use a newer attnlab");
  }
  if (current > 0) return;
  Statement tables = db.prepare("SELECT name FROM sqlite_master LIMIT 1");
  if (tables.step()) {
    throw StoreError(db.file().string() + ": not an attnlab results database (it holds '" +
                     tables.column_text(0) +
                     "' and no attnlab schema); pass the --db of one attnlab wrote, or a new "
                     "file");
  }
}

void migrate(Database& db) {
  check_schema(db);
  const int current = user_version(db);
  if (current == schema_version()) return;
  // A migration may rebuild a table that others reference; with foreign keys
  // on, dropping it would cascade into their rows. The pragma only works
  // outside a transaction, and each migration checks the keys before it commits.
  db.exec("PRAGMA foreign_keys = OFF");
  // A new database gets its whole schema in one transaction, so that a
  // process killed while creating it leaves no half-built file (which would
  // read as one an older attnlab wrote); an older one moves a step at a time.
  for (int v = current; v < schema_version();) {
    Transaction txn(db);
    // Re-check inside the write lock: another process may have migrated meanwhile.
    v = user_version(db);
    const int last = v == 0 ? schema_version() : std::min(v + 1, schema_version());
    for (; v < last; ++v) {
      db.exec(migrations()[v]);
      Statement check = db.prepare("PRAGMA foreign_key_check");
      if (check.step()) {
        throw StoreError(db.file().string() + ": migration " + std::to_string(v + 1) +
                         " would break a reference from table " + check.column_text(0));
      }
    }
    db.exec("PRAGMA user_version = " + std::to_string(v));
    txn.commit();
  }
  db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace attnlab::store
