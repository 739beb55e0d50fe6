// Run repository queries. Column lists are spelt out once per query so that
// reading code and schema side by side is easy.
#include "store/run_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "store/schema.h"

namespace attnlab::store {
namespace {

constexpr const char* kRunColumns =
    "run_id, sweep_id, config_hash, config_yaml, overrides, seed, task, model, attention, "
    "hidden_size, train_min_length, train_max_length, status, error, started_at, finished_at, "
    "wall_seconds, git_commit, torch_version, threads, cpu, device, hostname, decoder, parameters, "
    "pid, heartbeat_at, checkpoint_step, git_dirty, attnlab_version, blas, gpu, length_unit, "
    "peak_memory_bytes, uid, slurm_job_id, data_identity, selected_step, trained_steps, engine, "
    "config_json, "
    "weights_sha256";

RunRecord read_run(const Statement& s) {
  RunRecord r;
  int c = 0;
  r.run_id = s.column_text(c++);
  r.run.sweep_id = s.column_text(c++);
  r.run.config_hash = s.column_text(c++);
  r.run.config_yaml = s.column_text(c++);
  r.run.overrides_json = s.column_text(c++);
  r.run.seed = static_cast<std::uint64_t>(s.column_int(c++));
  r.run.task = s.column_text(c++);
  r.run.model = s.column_text(c++);
  r.run.attention = s.column_text(c++);
  r.run.hidden_size = static_cast<int>(s.column_int(c++));
  r.run.train_min_length = static_cast<int>(s.column_int(c++));
  r.run.train_max_length = static_cast<int>(s.column_int(c++));
  r.status = run_statuses().at(s.column_text(c++));
  r.error = s.column_text(c++);
  r.started_at = s.column_text(c++);
  r.finished_at = s.column_text(c++);
  r.wall_seconds = s.column_double(c++);
  r.run.environment.git_commit = s.column_text(c++);
  r.run.environment.torch_version = s.column_text(c++);
  r.run.environment.threads = static_cast<int>(s.column_int(c++));
  r.run.environment.cpu = s.column_text(c++);
  r.run.environment.device = s.column_text(c++);
  r.run.environment.hostname = s.column_text(c++);
  r.run.decoder = s.column_text(c++);
  r.parameters = s.column_int(c++);
  r.pid = s.column_int(c++);
  r.heartbeat_at = s.column_text(c++);
  r.checkpoint_step = static_cast<int>(s.column_int(c++));
  r.run.environment.git_dirty = s.column_int(c++) != 0;
  r.run.environment.attnlab_version = s.column_text(c++);
  r.run.environment.blas = s.column_text(c++);
  r.run.environment.gpu = s.column_text(c++);
  r.run.length_unit = s.column_text(c++);
  r.peak_memory_bytes = s.column_int(c++);
  r.uid = s.column_text(c++);
  r.run.slurm_job_id = s.column_text(c++);
  r.run.data_identity = s.column_text(c++);
  r.selected_step = static_cast<int>(s.column_int(c++));
  r.trained_steps = static_cast<int>(s.column_int(c++));
  r.engine = s.column_text(c++);
  r.run.config_json = s.column_text(c++);
  r.weights_sha256 = s.column_text(c++);
  return r;
}

Value text_or_null(const std::string& s) {
  return s.empty() ? Value{std::monostate{}} : Value{s};
}

constexpr const char* kSweepColumns =
    "sweep_id, name, overrides, n_jobs, status, created_at, coalesce(finished_at, ''), "
    "coalesce(launcher, 'local'), coalesce(launcher_yaml, '')";

SweepRecord read_sweep(const Statement& s) {
  SweepRecord w;
  w.sweep_id = s.column_text(0);
  w.name = s.column_text(1);
  w.overrides_json = s.column_text(2);
  w.n_jobs = static_cast<int>(s.column_int(3));
  w.status = sweep_statuses().at(s.column_text(4));
  w.created_at = s.column_text(5);
  w.finished_at = s.column_text(6);
  w.launcher = s.column_text(7);
  w.launcher_yaml = s.column_text(8);
  return w;
}

// A row by exact id, or by a unique prefix of its id. Throws AmbiguousId
// when a prefix is ambiguous.
template <typename Record>
std::optional<Record> find_by_prefix(Database& db, const std::string& what,
                                     const std::string& table, const std::string& id_column,
                                     const std::string& columns, Record (*read)(const Statement&),
                                     const std::string& id_or_prefix) {
  Statement s =
      db.prepare("SELECT " + columns + " FROM " + table + " WHERE " + id_column + " = ?1 OR " +
                 id_column + " LIKE ?2 ORDER BY " + id_column + " = ?1 DESC LIMIT 2");
  s.bind(1, id_or_prefix).bind(2, id_or_prefix + "%");
  if (!s.step()) return std::nullopt;
  Record first = read(s);
  const std::string first_id = s.column_text(0);
  if (first_id != id_or_prefix && s.step()) {
    throw AmbiguousId(what + " id '" + id_or_prefix + "' is ambiguous: it starts " + first_id +
                      ", " + s.column_text(0) + ", ...; give more of it");
  }
  return first;
}

// The sweep's row and its plan, one row per job.
void insert_sweep(Database& db, const std::string& sweep_id, const std::string& name,
                  const std::string& overrides_json, const std::vector<PlannedJob>& jobs,
                  const std::string& git_commit, const std::string& experiment_yaml,
                  const std::string& now) {
  Statement insert = db.prepare(
      "INSERT INTO sweeps (sweep_id, name, overrides, n_jobs, status, created_at, git_commit, "
      "experiment_yaml) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7)");
  insert.bind(1, sweep_id).bind(2, name).bind(3, overrides_json);
  insert.bind(4, static_cast<std::int64_t>(jobs.size())).bind(5, now);
  insert.bind(6, text_or_null(git_commit)).bind(7, text_or_null(experiment_yaml));
  insert.step();
  Statement job = db.prepare(
      "INSERT INTO sweep_jobs (sweep_id, job_index, overrides, config_hash, config_yaml) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  for (size_t i = 0; i < jobs.size(); ++i) {
    job.bind(1, sweep_id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, json_strings(jobs[i].overrides))
        .bind(4, jobs[i].config_hash)
        .bind(5, text_or_null(jobs[i].config_yaml));
    job.step();
    job.reset();
  }
}

}  // namespace

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string this_host() {
  char host[256] = {0};
  return gethostname(host, sizeof host - 1) == 0 ? host : "unknown";
}

bool process_vanished(const RunRecord& run) {
  if (run.status != RunStatus::kRunning || run.pid <= 0 ||
      run.run.environment.hostname != this_host()) {
    return false;
  }
  return kill(static_cast<pid_t>(run.pid), 0) != 0 && errno == ESRCH;
}

namespace {

// SQLite's quick_check: a database with damaged pages or indexes is named
// before anything reads or writes it.
void check_whole(Database& db) {
  Statement check = db.prepare("PRAGMA quick_check(1)");
  if (check.step() && check.column_text(0) != "ok") {
    throw StoreError(db.file().string() + ": the database is damaged (" + check.column_text(0) +
                     "); restore it from a copy, or save what is readable with `sqlite3 " +
                     db.file().string() + " .recover`");
  }
}

}  // namespace

RunStore::RunStore(const std::filesystem::path& file, OpenMode mode) : db_(file, mode) {
  check_whole(db_);
  if (mode == OpenMode::kReadWrite) {
    check_schema(db_);
    db_.use_wal();
    migrate(db_);
    return;
  }
  // A reader never writes: what an older attnlab wrote is migrated in an
  // in-memory copy, and the file keeps its schema, journal mode and bytes.
  check_schema(db_);
  if (!needs_migration(db_)) return;
  db_.copy_into_memory();
  migrate(db_);
  db_.exec("PRAGMA query_only = ON");
}

std::string RunStore::begin_run(const NewRun& run) {
  Transaction txn(db_);
  const std::string base = run.config_hash.substr(0, 10);
  Statement count = db_.prepare("SELECT count(*) FROM runs WHERE run_id = ?1 OR run_id LIKE ?2");
  count.bind(1, base).bind(2, base + "-%");
  count.step();
  const std::int64_t existing = count.column_int(0);
  const std::string run_id = existing == 0 ? base : base + "-" + std::to_string(existing + 1);

  Statement insert = db_.prepare(
      std::string("INSERT INTO runs (") + kRunColumns +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'running', NULL, ?13, NULL, "
      "NULL, ?14, ?15, ?16, ?17, ?18, ?19, ?20, NULL, ?21, ?13, 0, ?22, ?23, ?24, ?25, ?26, NULL, "
      "lower(hex(randomblob(16))), ?27, ?28, NULL, NULL, NULL, ?29, NULL)");
  insert.bind(1, run_id)
      .bind(2, text_or_null(run.sweep_id))
      .bind(3, run.config_hash)
      .bind(4, run.config_yaml)
      .bind(5, run.overrides_json)
      .bind(6, static_cast<std::int64_t>(run.seed))
      .bind(7, run.task)
      .bind(8, run.model)
      .bind(9, run.attention)
      .bind(10, std::int64_t{run.hidden_size})
      .bind(11, std::int64_t{run.train_min_length})
      .bind(12, std::int64_t{run.train_max_length})
      .bind(13, utc_now())
      .bind(14, run.environment.git_commit)
      .bind(15, run.environment.torch_version)
      .bind(16, std::int64_t{run.environment.threads})
      .bind(17, run.environment.cpu)
      .bind(18, run.environment.device)
      .bind(19, run.environment.hostname)
      .bind(20, text_or_null(run.decoder))
      .bind(21, static_cast<std::int64_t>(getpid()))
      .bind(22, std::int64_t{run.environment.git_dirty ? 1 : 0})
      .bind(23, run.environment.attnlab_version)
      .bind(24, run.environment.blas)
      .bind(25, text_or_null(run.environment.gpu))
      .bind(26, text_or_null(run.length_unit))
      .bind(27, text_or_null(run.slurm_job_id))
      .bind(28, text_or_null(run.data_identity))
      .bind(29, text_or_null(run.config_json));
  insert.step();
  txn.commit();
  return run_id;
}

void RunStore::set_model(const std::string& run_id, std::int64_t parameters,
                         const std::string& engine) {
  Statement update = db_.prepare("UPDATE runs SET parameters = ?2, engine = ?3 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, parameters).bind(3, engine);
  update.step();
}

void RunStore::set_peak_memory(const std::string& run_id, std::int64_t bytes) {
  Statement update = db_.prepare("UPDATE runs SET peak_memory_bytes = ?2 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, bytes);
  update.step();
}

std::optional<double> RunStore::device_peak(const std::string& hostname, const std::string& device,
                                            const std::string& dtype, int threads) {
  Statement s = db_.prepare(
      "SELECT gflops FROM device_peaks WHERE hostname = ?1 AND device = ?2 AND dtype = ?3 "
      "AND threads = ?4");
  s.bind(1, hostname).bind(2, device).bind(3, dtype).bind(4, std::int64_t{threads});
  if (!s.step()) return std::nullopt;
  return s.column_double(0);
}

void RunStore::record_device_peak(const std::string& hostname, const std::string& device,
                                  const std::string& dtype, int threads, double gflops) {
  Statement insert = db_.prepare(
      "INSERT OR REPLACE INTO device_peaks (hostname, device, dtype, threads, gflops, "
      "measured_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, hostname)
      .bind(2, device)
      .bind(3, dtype)
      .bind(4, std::int64_t{threads})
      .bind(5, gflops)
      .bind(6, utc_now());
  insert.step();
}

void RunStore::set_params(const std::string& run_id, const std::vector<Param>& params) {
  Transaction txn(db_);
  Statement insert =
      db_.prepare("INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?1, ?2, ?3)");
  for (const auto& p : params) {
    insert.bind(1, run_id).bind(2, p.key).bind(3, p.value);
    insert.step();
    insert.reset();
  }
  txn.commit();
}

void RunStore::heartbeat(const std::string& run_id) {
  Statement update = db_.prepare("UPDATE runs SET heartbeat_at = ?2 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, utc_now());
  update.step();
}

void RunStore::set_checkpoint(const std::string& run_id, int step) {
  Statement update =
      db_.prepare("UPDATE runs SET checkpoint_step = ?2, heartbeat_at = ?3 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, std::int64_t{step}).bind(3, utc_now());
  update.step();
}

void RunStore::log_metrics(const std::string& run_id, const std::vector<MetricPoint>& points) {
  Transaction txn(db_);
  Statement insert = db_.prepare(
      "INSERT OR REPLACE INTO metrics (run_id, step, name, value) VALUES (?1, ?2, ?3, ?4)");
  for (const auto& p : points) {
    insert.bind(1, run_id).bind(2, std::int64_t{p.step}).bind(3, p.name).bind(4, p.value);
    insert.step();
    insert.reset();
  }
  txn.commit();
}

namespace {

// A perplexity of 0 was not measured (runs before schema 8).
Value measured(double perplexity) {
  return perplexity > 0 ? Value{perplexity} : Value{};
}

void insert_evals(Database& db, const std::string& run_id, const std::vector<LengthEval>& evals) {
  Statement insert = db.prepare(
      "INSERT OR REPLACE INTO evals (run_id, length, n, token_accuracy, sequence_accuracy, "
      "error_rate, bleu, outcomes, perplexity, aer, alignment_accuracy, edits, reference_tokens, "
      "edits_squared, edits_by_reference, reference_squared) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
  for (const auto& e : evals) {
    // Sums over other than every example of the bucket were not recorded.
    const auto& sums = e.edit_sums;
    const auto sum = [&sums, &e](std::int64_t value) {
      return sums.examples == e.n && e.n > 0 ? Value{value} : Value{};
    };
    insert.bind(1, run_id)
        .bind(2, std::int64_t{e.length})
        .bind(3, std::int64_t{e.n})
        .bind(4, e.token_accuracy)
        .bind(5, e.sequence_accuracy)
        .bind(6, e.error_rate)
        .bind(7, e.bleu)
        .bind(8, e.outcomes.empty() ? Value{} : Value{e.outcomes})
        .bind(9, measured(e.perplexity))
        .bind(10, e.aer)  // NaN binds as NULL
        .bind(11, e.alignment_accuracy)
        .bind(12, sum(sums.edits))
        .bind(13, sum(sums.reference))
        .bind(14, sum(sums.edits_squared))
        .bind(15, sum(sums.edits_by_reference))
        .bind(16, sum(sums.reference_squared));
    insert.step();
    insert.reset();
  }
}

void insert_scores(Database& db, const std::string& run_id,
                   const std::vector<SplitScores>& splits) {
  Statement score = db.prepare(
      "INSERT OR REPLACE INTO scores (run_id, split, n, token_accuracy, sequence_accuracy, "
      "error_rate, bleu, perplexity, aer, alignment_accuracy) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  for (const auto& s : splits) {
    score.bind(1, run_id)
        .bind(2, s.split)
        .bind(3, std::int64_t{s.n})
        .bind(4, s.token_accuracy)
        .bind(5, s.sequence_accuracy)
        .bind(6, s.error_rate)
        .bind(7, s.bleu)
        .bind(8, measured(s.perplexity))
        .bind(9, s.aer)
        .bind(10, s.alignment_accuracy);
    score.step();
    score.reset();
  }
}

// An example's weights as JSON rows, one per output token; null without
// attention.
Value weight_rows(const DecodedExample& x) {
  if (x.weights.empty()) return Value{};
  const size_t columns = x.source_tokens.size();
  nlohmann::json rows = nlohmann::json::array();
  for (size_t r = 0; columns > 0 && r * columns < x.weights.size(); ++r) {
    rows.push_back(
        std::vector<float>(x.weights.begin() + static_cast<std::ptrdiff_t>(r * columns),
                           x.weights.begin() + static_cast<std::ptrdiff_t>((r + 1) * columns)));
  }
  return rows.dump();
}

void insert_examples(Database& db, const std::string& run_id,
                     const std::vector<DecodedExample>& examples) {
  Statement example = db.prepare(
      "INSERT OR REPLACE INTO examples (run_id, example_index, length, source, reference, "
      "prediction, source_tokens, output_tokens, weights) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  for (size_t i = 0; i < examples.size(); ++i) {
    const DecodedExample& x = examples[i];
    example.bind(1, run_id)
        .bind(2, static_cast<std::int64_t>(i))
        .bind(3, std::int64_t{x.length})
        .bind(4, x.source)
        .bind(5, x.reference)
        .bind(6, x.prediction)
        .bind(7, nlohmann::json(x.source_tokens).dump())
        .bind(8, nlohmann::json(x.output_tokens).dump())
        .bind(9, weight_rows(x));
    example.step();
    example.reset();
  }
}

}  // namespace

void RunStore::finish_run(const std::string& run_id, const RunResults& results) {
  Transaction txn(db_);
  insert_evals(db_, run_id, results.evals);
  insert_scores(db_, run_id, results.splits);
  insert_examples(db_, run_id, results.examples);
  Statement update = db_.prepare(
      "UPDATE runs SET status = 'finished', finished_at = ?2, wall_seconds = ?3, error = NULL, "
      "pid = NULL, selected_step = ?4, trained_steps = ?5, weights_sha256 = ?6 WHERE run_id = ?1");
  const auto step_or_null = [](int step) { return step > 0 ? Value{std::int64_t{step}} : Value{}; };
  update.bind(1, run_id)
      .bind(2, utc_now())
      .bind(3, results.wall_seconds)
      .bind(4, step_or_null(results.selected_step))
      .bind(5, step_or_null(results.trained_steps))
      .bind(6, text_or_null(results.weights_sha256));
  update.step();
  txn.commit();
}

void RunStore::end_run(const std::string& run_id, RunStatus status, const std::string& error,
                       double wall_seconds) {
  Statement update = db_.prepare(
      "UPDATE runs SET status = ?2, finished_at = ?3, wall_seconds = ?4, error = ?5, pid = NULL "
      "WHERE run_id = ?1");
  update.bind(1, run_id)
      .bind(2, status_name(status))
      .bind(3, utc_now())
      .bind(4, wall_seconds)
      .bind(5, error);
  update.step();
}

std::optional<RunRecord> RunStore::resumable_run(const std::string& config_hash) {
  Statement s = db_.prepare(std::string("SELECT ") + kRunColumns +
                            " FROM runs WHERE config_hash = ?1 AND status = 'interrupted' AND "
                            "checkpoint_step > 0 ORDER BY rowid DESC LIMIT 1");
  s.bind(1, config_hash);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

void RunStore::reopen_run(const std::string& run_id, std::int64_t pid,
                          const std::string& slurm_job_id) {
  Statement update = db_.prepare(
      "UPDATE runs SET status = 'running', error = NULL, finished_at = NULL, pid = ?2, "
      "heartbeat_at = ?3, slurm_job_id = ?4 WHERE run_id = ?1");
  update.bind(1, run_id).bind(2, pid).bind(3, utc_now()).bind(4, text_or_null(slurm_job_id));
  update.step();
}

int RunStore::interrupt_running_runs(const std::string& why) {
  Statement update = db_.prepare(
      "UPDATE runs SET status = 'interrupted', error = ?1, finished_at = ?2, pid = NULL "
      "WHERE status = 'running'");
  update.bind(1, why).bind(2, utc_now());
  update.step();
  return sqlite3_changes(db_.handle());
}

int RunStore::reap_vanished_runs(std::int64_t pid, const std::string& why) {
  Transaction txn(db_);
  Statement running = db_.prepare(std::string("SELECT ") + kRunColumns +
                                  " FROM runs WHERE status = 'running' AND hostname = ?1 AND "
                                  "pid IS NOT NULL AND (?2 = 0 OR pid = ?2)");
  running.bind(1, this_host()).bind(2, pid);
  std::vector<std::pair<std::string, std::int64_t>> gone;
  while (running.step()) {
    const RunRecord run = read_run(running);
    // With pid given the caller knows the process ended; else ask the kernel.
    if (pid != 0 || process_vanished(run)) gone.emplace_back(run.run_id, run.pid);
  }
  Statement update = db_.prepare(
      "UPDATE runs SET status = 'interrupted', error = ?2, finished_at = ?3, pid = NULL "
      "WHERE run_id = ?1");
  for (const auto& [run_id, p] : gone) {
    update.bind(1, run_id)
        .bind(2,
              why.empty() ? "process " + std::to_string(p) + " vanished (killed or crashed)" : why)
        .bind(3, utc_now());
    update.step();
    update.reset();
  }
  txn.commit();
  return static_cast<int>(gone.size());
}

std::string RunStore::begin_sweep(const std::string& name, const std::string& overrides_json,
                                  const std::vector<PlannedJob>& jobs,
                                  const std::string& git_commit,
                                  const std::string& experiment_yaml) {
  Transaction txn(db_);
  const std::string now = utc_now();
  // "default-20261124T040506Z"; a suffix keeps two sweeps in one second apart.
  std::string base = name + "-";
  for (char c : now) {
    if (c != '-' && c != ':') base += c;
  }
  std::string sweep_id = base;
  for (int k = 2;; ++k) {
    Statement exists = db_.prepare("SELECT 1 FROM sweeps WHERE sweep_id = ?1");
    exists.bind(1, sweep_id);
    if (!exists.step()) break;
    sweep_id = base + "-" + std::to_string(k);
  }
  insert_sweep(db_, sweep_id, name, overrides_json, jobs, git_commit, experiment_yaml, now);
  txn.commit();
  return sweep_id;
}

void RunStore::adopt_sweep(const std::string& sweep_id, const std::string& name,
                           const std::string& overrides_json, const std::vector<PlannedJob>& jobs,
                           const std::string& git_commit, const std::string& experiment_yaml) {
  Transaction txn(db_);
  Statement exists = db_.prepare("SELECT 1 FROM sweeps WHERE sweep_id = ?1");
  exists.bind(1, sweep_id);
  if (exists.step()) return;
  insert_sweep(db_, sweep_id, name, overrides_json, jobs, git_commit, experiment_yaml, utc_now());
  txn.commit();
}

void RunStore::set_sweep_launcher(const std::string& sweep_id, const std::string& launcher,
                                  const std::string& launcher_yaml) {
  Statement update =
      db_.prepare("UPDATE sweeps SET launcher = ?2, launcher_yaml = ?3 WHERE sweep_id = ?1");
  update.bind(1, sweep_id).bind(2, launcher).bind(3, text_or_null(launcher_yaml));
  update.step();
}

void RunStore::record_slurm_task(const std::string& sweep_id, const SlurmTask& task) {
  const std::string now = utc_now();
  Statement upsert = db_.prepare(
      "INSERT INTO slurm_tasks (sweep_id, job_index, slurm_job_id, state, reason, submitted_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
      "ON CONFLICT (sweep_id, job_index, slurm_job_id) DO UPDATE SET state = excluded.state, "
      "reason = excluded.reason, updated_at = excluded.updated_at");
  upsert.bind(1, sweep_id)
      .bind(2, std::int64_t{task.job_index})
      .bind(3, task.slurm_job_id)
      .bind(4, task.state)
      .bind(5, text_or_null(task.reason))
      .bind(6, now);
  upsert.step();
}

std::vector<SlurmTask> RunStore::slurm_tasks(const std::string& sweep_id) {
  Statement s = db_.prepare(
      "SELECT job_index, slurm_job_id, state, coalesce(reason, ''), submitted_at, updated_at "
      "FROM slurm_tasks WHERE sweep_id = ?1 ORDER BY job_index, submitted_at, rowid");
  s.bind(1, sweep_id);
  std::vector<SlurmTask> out;
  while (s.step()) {
    out.push_back({static_cast<int>(s.column_int(0)), s.column_text(1), s.column_text(2),
                   s.column_text(3), s.column_text(4), s.column_text(5)});
  }
  return out;
}

void RunStore::finish_sweep(const std::string& sweep_id, bool ok) {
  Statement update =
      db_.prepare("UPDATE sweeps SET status = ?2, finished_at = ?3 WHERE sweep_id = ?1");
  update.bind(1, sweep_id)
      .bind(2, status_name(ok ? SweepStatus::kCompleted : SweepStatus::kFailed))
      .bind(3, utc_now());
  update.step();
}

void RunStore::reopen_sweep(const std::string& sweep_id) {
  Statement update =
      db_.prepare("UPDATE sweeps SET status = 'running', finished_at = NULL WHERE sweep_id = ?1");
  update.bind(1, sweep_id);
  update.step();
}

std::map<std::string, std::string> RunStore::tags(const std::string& run_id) {
  Statement s = db_.prepare("SELECT key, value FROM tags WHERE run_id = ?1 ORDER BY key");
  s.bind(1, run_id);
  std::map<std::string, std::string> out;
  while (s.step())
    out[s.column_text(0)] = s.column_text(1);
  return out;
}

void RunStore::set_tags(const std::string& run_id, const std::map<std::string, std::string>& tags) {
  Transaction txn(db_);
  Statement set =
      db_.prepare("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?1, ?2, ?3)");
  for (const auto& [key, value] : tags) {
    set.bind(1, run_id).bind(2, key).bind(3, value);
    set.step();
    set.reset();
  }
  txn.commit();
}

int RunStore::remove_tags(const std::string& run_id, const std::vector<std::string>& keys) {
  Transaction txn(db_);
  Statement remove = db_.prepare("DELETE FROM tags WHERE run_id = ?1 AND key = ?2");
  int removed = 0;
  for (const auto& key : keys) {
    remove.bind(1, run_id).bind(2, key);
    remove.step();
    removed += sqlite3_changes(db_.handle());
    remove.reset();
  }
  txn.commit();
  return removed;
}

void RunStore::remove_run(const std::string& run_id) {
  Statement remove = db_.prepare("DELETE FROM runs WHERE run_id = ?1");  // the rest cascades
  remove.bind(1, run_id);
  remove.step();
}

std::vector<std::string> RunStore::remove_sweep(const std::string& sweep_id) {
  Transaction txn(db_);
  std::vector<std::string> runs;
  Statement find = db_.prepare("SELECT run_id FROM runs WHERE sweep_id = ?1 ORDER BY rowid");
  find.bind(1, sweep_id);
  while (find.step())
    runs.push_back(find.column_text(0));
  for (const char* sql : {"DELETE FROM runs WHERE sweep_id = ?1",
                          "DELETE FROM sweeps WHERE sweep_id = ?1"}) {  // plan and tasks cascade
    Statement remove = db_.prepare(sql);
    remove.bind(1, sweep_id);
    remove.step();
  }
  txn.commit();
  return runs;
}

std::optional<RunRecord> RunStore::find_run(const std::string& id_or_prefix) {
  return find_by_prefix<RunRecord>(db_, "run", "runs", "run_id", kRunColumns, read_run,
                                   id_or_prefix);
}

std::optional<std::string> RunStore::finished_run_with_hash(const std::string& config_hash) {
  Statement s = db_.prepare(
      "SELECT run_id FROM runs WHERE config_hash = ?1 AND status = 'finished' "
      "ORDER BY started_at LIMIT 1");
  s.bind(1, config_hash);
  if (!s.step()) return std::nullopt;
  return s.column_text(0);
}

std::vector<RunRecord> RunStore::list_runs() {
  Statement s =
      db_.prepare(std::string("SELECT ") + kRunColumns + " FROM runs ORDER BY started_at, rowid");
  std::vector<RunRecord> runs;
  while (s.step())
    runs.push_back(read_run(s));
  return runs;
}

std::vector<RunRecord> RunStore::sweep_runs(const std::string& sweep_id) {
  // For each job, rank its runs: finished ones first, then the newest.
  Statement s = db_.prepare(std::string("SELECT ") + kRunColumns + R"sql(
      FROM (SELECT r.*, j.job_index AS job_index,
                   row_number() OVER (PARTITION BY j.job_index
                                      ORDER BY r.status = 'finished' DESC, r.rowid DESC) AS rank
            FROM sweep_jobs j JOIN runs r ON r.config_hash = j.config_hash
            WHERE j.sweep_id = ?1)
      WHERE rank = 1 ORDER BY job_index)sql");
  s.bind(1, sweep_id);
  std::vector<RunRecord> runs;
  while (s.step())
    runs.push_back(read_run(s));
  return runs;
}

std::vector<SweepRecord> RunStore::list_sweeps() {
  Statement s = db_.prepare(std::string("SELECT ") + kSweepColumns +
                            " FROM sweeps ORDER BY created_at, rowid");
  std::vector<SweepRecord> sweeps;
  while (s.step())
    sweeps.push_back(read_sweep(s));
  for (auto& w : sweeps) {
    for (const auto& run : sweep_runs(w.sweep_id)) {
      w.finished += run.status == RunStatus::kFinished;
      w.failed += run.status != RunStatus::kFinished && run.status != RunStatus::kRunning;
      w.running += run.status == RunStatus::kRunning;
    }
  }
  return sweeps;
}

std::optional<SweepRecord> RunStore::find_sweep(const std::string& id_or_prefix) {
  return find_by_prefix<SweepRecord>(db_, "sweep", "sweeps", "sweep_id", kSweepColumns, read_sweep,
                                     id_or_prefix);
}

std::vector<PlannedJob> RunStore::sweep_plan(const std::string& sweep_id) {
  Statement s = db_.prepare(
      "SELECT overrides, config_hash, coalesce(config_yaml, '') FROM sweep_jobs "
      "WHERE sweep_id = ?1 ORDER BY job_index");
  s.bind(1, sweep_id);
  std::vector<PlannedJob> jobs;
  while (s.step()) {
    jobs.push_back({static_cast<int>(jobs.size()) + 1,
                    nlohmann::json::parse(s.column_text(0)).get<std::vector<std::string>>(),
                    s.column_text(1), s.column_text(2)});
  }
  return jobs;
}

namespace {

// Column `i` of a row, NaN where it is NULL.
double or_unmeasured(const Statement& s, int i) {
  return std::holds_alternative<std::monostate>(s.column(i)) ? kUnmeasured : s.column_double(i);
}

// Scores from columns first..first+7 (n, token, sequence, error rate, BLEU,
// perplexity, AER, alignment accuracy).
Scores read_scores(const Statement& s, int first) {
  Scores out;
  out.n = static_cast<int>(s.column_int(first));
  out.token_accuracy = s.column_double(first + 1);
  out.sequence_accuracy = s.column_double(first + 2);
  out.error_rate = s.column_double(first + 3);
  out.bleu = or_unmeasured(s, first + 4);  // NULL: undefined (no 4-grams), or not measured
  out.perplexity = s.column_double(first + 5);
  out.aer = or_unmeasured(s, first + 6);
  out.alignment_accuracy = or_unmeasured(s, first + 7);
  return out;
}

}  // namespace

std::vector<LengthEval> RunStore::evals(const std::string& run_id) {
  Statement s = db_.prepare(
      "SELECT length, n, token_accuracy, sequence_accuracy, coalesce(error_rate, 0), "
      "bleu, coalesce(perplexity, 0), aer, alignment_accuracy, coalesce(outcomes, ''), edits, "
      "reference_tokens, edits_squared, edits_by_reference, reference_squared FROM evals "
      "WHERE run_id = ?1 ORDER BY length");
  s.bind(1, run_id);
  std::vector<LengthEval> out;
  while (s.step()) {
    LengthEval e;
    static_cast<Scores&>(e) = read_scores(s, 1);
    e.length = static_cast<int>(s.column_int(0));
    e.outcomes = s.column_text(9);
    if (!std::holds_alternative<std::monostate>(s.column(10))) {
      e.edit_sums = {e.n,
                     s.column_int(10),
                     s.column_int(11),
                     s.column_int(12),
                     s.column_int(13),
                     s.column_int(14)};
    }
    out.push_back(e);
  }
  return out;
}

std::vector<SplitScores> RunStore::splits(const std::string& run_id) {
  Statement s = db_.prepare(
      "SELECT split, n, token_accuracy, sequence_accuracy, error_rate, bleu, "
      "coalesce(perplexity, 0), aer, alignment_accuracy FROM scores WHERE run_id = ?1 "
      "ORDER BY split DESC");
  s.bind(1, run_id);
  std::vector<SplitScores> out;
  while (s.step()) {
    SplitScores e;
    static_cast<Scores&>(e) = read_scores(s, 1);
    e.split = s.column_text(0);
    out.push_back(e);
  }
  return out;
}

std::vector<DecodedExample> RunStore::examples(const std::string& run_id) {
  Statement s = db_.prepare(
      "SELECT length, source, reference, prediction, source_tokens, output_tokens, "
      "coalesce(weights, '') FROM examples WHERE run_id = ?1 ORDER BY example_index");
  s.bind(1, run_id);
  std::vector<DecodedExample> out;
  while (s.step()) {
    DecodedExample x;
    x.length = static_cast<int>(s.column_int(0));
    x.source = s.column_text(1);
    x.reference = s.column_text(2);
    x.prediction = s.column_text(3);
    x.source_tokens = nlohmann::json::parse(s.column_text(4)).get<std::vector<std::string>>();
    x.output_tokens = nlohmann::json::parse(s.column_text(5)).get<std::vector<std::string>>();
    const std::string weights = s.column_text(6);
    if (!weights.empty()) {
      for (const auto& row : nlohmann::json::parse(weights)) {
        for (const auto& w : row)
          x.weights.push_back(w.get<float>());
      }
    }
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<Param> RunStore::params(const std::string& run_id) {
  Statement s = db_.prepare("SELECT key, value FROM params WHERE run_id = ?1 ORDER BY key");
  s.bind(1, run_id);
  std::vector<Param> out;
  while (s.step())
    out.push_back({s.column_text(0), s.column(1)});
  return out;
}

std::string RunStore::sweep_experiment(const std::string& sweep_id) {
  Statement s = db_.prepare("SELECT coalesce(experiment_yaml, '') FROM sweeps WHERE sweep_id = ?1");
  s.bind(1, sweep_id);
  return s.step() ? s.column_text(0) : "";
}

std::vector<MetricPoint> RunStore::metrics(const std::string& run_id) {
  Statement s =
      db_.prepare("SELECT step, name, value FROM metrics WHERE run_id = ?1 ORDER BY name, step");
  s.bind(1, run_id);
  std::vector<MetricPoint> out;
  while (s.step()) {
    out.push_back({static_cast<int>(s.column_int(0)), s.column_text(1), s.column_double(2)});
  }
  return out;
}

std::string json_strings(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace attnlab::store
