// `attnlab bench gemm|train|sweep`: fixed, documented workloads that print
// throughput, for people (a summary) and for machines (--format json, one object).
// bench/README.md describes the workloads and how results are recorded.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/files.h"
#include "base/text.h"
#include "config/device.h"
#include "launch/local_pool.h"
#include "runner/common.h"
#include "store/run_store.h"
#include "train/benchmark.h"
#include "train/environment.h"

namespace attnlab::runner {
namespace {

namespace fs = std::filesystem;

struct MachineOptions {
  int threads = 2;
  std::string device = "cpu";
  std::string format = "table";  // table (a summary) or json (one object)
  bool json() const { return format == "json"; }
};

void add_machine_options(CLI::App* command, MachineOptions& m) {
  command->add_option("--threads", m.threads, "LibTorch threads (0 = one per core)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--device", m.device,
                   "where to run: cpu, cuda, cuda:N (the GPU with index N) or auto (cuda when a "
                   "GPU is usable)")
      ->capture_default_str();
  command->add_option("--format", m.format, "table (a summary) or json (one JSON object)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  // The spelling before --format, kept for scripts.
  command->add_flag_callback("--json", [&m] { m.format = "json"; })->group("");
}

// The device as configure_environment() takes it; exit 2 for a GPU this
// build or machine does not have.
std::string resolved_device(const std::string& requested) {
  if (!config::is_device_name(requested)) {
    throw UsageError("--device: '" + requested +
                     "' is not a device; valid: cpu, cuda, cuda:N (the GPU with index N), auto");
  }
  try {
    return train::resolve_device(requested);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

bool on_gpu(const std::string& device) {
  return device.rfind("cuda", 0) == 0;
}

// The environment as the JSON fields every bench result carries.
nlohmann::json environment_json(const store::Environment& env) {
  return {{"device", env.device},
          {"threads", env.threads},
          {"cpu", env.cpu},
          {"host", env.hostname},
          {"torch", env.torch_version},
          {"blas", env.blas},
          {"blas_core", train::blas_core()},
          {"gpu", env.gpu},
          {"attnlab_commit", env.git_commit},
          {"attnlab_version", env.attnlab_version}};
}

struct GemmOptions {
  MachineOptions machine;
  std::vector<int> sizes;  // empty: the device's default
  double seconds = 1.0;
  std::string dtype = "fp32";
};

// Sizes large enough to reach the device's peak: a GPU needs far larger
// products than a CPU before launches stop mattering.
std::vector<int> default_gemm_sizes(const std::string& device) {
  if (on_gpu(device)) return {2048, 4096, 8192};
  return {256, 512, 1024, 2048};
}

std::vector<train::GemmMeasurement> run_gemm(const GemmOptions& o, const std::string& device,
                                             bool quiet) {
  const auto sizes = o.sizes.empty() ? default_gemm_sizes(device) : o.sizes;
  return train::measure_gemm(sizes, o.seconds, c10::Device(device),
                             o.dtype == "bf16" ? c10::kBFloat16 : c10::kFloat,
                             [&](const train::GemmMeasurement& m) {
                               if (!quiet) {
                                 std::cerr << "  " << std::setw(5) << m.size << "^3: " << std::fixed
                                           << std::setprecision(1) << m.gflops << " GFLOP/s\n";
                               }
                             });
}

void gemm(const GemmOptions& o) {
  const auto env =
      train::configure_environment(o.machine.threads, resolved_device(o.machine.device));
  if (!o.machine.json()) {
    std::cout << o.dtype << " matrix products (torch::mm, " << env.threads << " thread(s), "
              << (on_gpu(env.device) ? env.gpu : env.blas + ") on " + env.cpu) << ":\n";
  }
  const auto measured = run_gemm(o, env.device, o.machine.json());
  const double peak = train::peak_flops(measured);
  if (o.machine.json()) {
    auto j = environment_json(env);
    j["benchmark"] = "gemm";
    j["dtype"] = o.dtype;
    j["peak_gflops"] = peak / 1e9;
    for (const auto& m : measured)
      j["gflops_by_size"][std::to_string(m.size)] = m.gflops;
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << "peak: " << std::fixed << std::setprecision(1) << peak / 1e9 << " GFLOP/s ("
            << o.dtype << "; the denominator of MFU in `attnlab bench train`)\n";
}

struct TrainOptions {
  MachineOptions machine;
  std::string workload = "default";
  std::vector<std::string> overrides;
  int warmup = 20;
  int steps = 200;
  int repeats = 3;
  double peak_gflops = 0;  // 0: measure
};

// Named configs of the library's model for `bench train --workload`: the
// overrides each applies before the user's.
const std::vector<std::pair<std::string, std::vector<std::string>>>& workloads() {
  // The standard workload of the earlier benchmarks: Luong general with
  // input feeding, embedding 256, GRU 256 or 512, batch 64, length 30.
  static const std::vector<std::string> kStandard = {
      "attention=general",          "model.embedding_size=256",  "train.batch_size=64",
      "task.train_lengths=[30,30]", "task.test_lengths=[30,30]", "task.vocab_size=29"};
  const auto standard = [](int hidden, int batch = 64) {
    auto o = kStandard;
    o.push_back("model.hidden_size=" + std::to_string(hidden));
    if (batch != 64) o.push_back("train.batch_size=" + std::to_string(batch));
    return o;
  };
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kTable = {
      {"default", {}},  // the model of `make run`: configs/config.yaml as it is
      {"standard", standard(256)},
      {"standard-512", standard(512)},
      {"large", standard(1024, 256)},  // a GPU's size
  };
  return kTable;
}

std::vector<std::string> workload_overrides(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& [n, overrides] : workloads()) {
    if (n == name) return overrides;
    names.push_back(n);
  }
  throw UsageError("bench train --workload: unknown workload '" + name +
                   "'; valid: " + base::join(names));
}

// "rnn gru 64 (embedding 32, 1 layer(s)), luong decoder, attention dot, ...".
std::string describe_workload(const config::RunSettings& s) {
  std::ostringstream model;
  model << s.model.name;
  if (s.model.name == "rnn") {
    model << " " << config::name(s.model.cell) << " " << s.model.hidden_size << " (embedding "
          << s.model.embedding_size << ", " << s.model.layers << " layer(s)"
          << (s.model.bidirectional ? ", bidirectional" : "") << "), "
          << config::name(s.model.decoder) << " decoder";
  } else {
    model << " " << s.model.hidden_size;
  }
  model << ", attention " << s.attention.name << ", batch " << s.train.batch_size << ", task "
        << s.task.name << " " << s.task.train_lengths[0] << "-" << s.task.train_lengths[1];
  if (s.train.precision != config::Precision::kFp32) {
    model << ", " << config::name(s.train.precision) << " autocast";
  }
  return model.str();
}

// The JSON line of `bench train --format json`.
nlohmann::json train_json(const store::Environment& env, const TrainOptions& o,
                          const std::vector<std::string>& overrides, const std::string& model,
                          const config::RunSettings& s, const train::TrainBenchResult& result,
                          double peak) {
  const double flops_per_second = result.median_steps_per_second * result.flops_per_step;
  auto j = environment_json(env);
  j["benchmark"] = "train";
  j["workload"] = o.workload;
  j["overrides"] = overrides;
  j["model"] = model;
  j["precision"] = config::name(s.train.precision);
  j["engine"] = result.engine;
  j["parameters"] = result.parameters;
  j["steps_per_second"] = result.median_steps_per_second;
  j["steps_per_second_runs"] = result.steps_per_second;
  j["tokens_per_second"] = result.median_tokens_per_second;
  j["tokens_per_second_runs"] = result.tokens_per_second;
  j["flops_per_step"] = result.flops_per_step;
  j["model_gflops_per_second"] = flops_per_second / 1e9;
  j["peak_gflops"] = peak / 1e9;
  j["mfu"] = flops_per_second / peak;
  j["first_loss"] = result.first_loss;
  j["final_loss"] = result.final_loss;
  return j;
}

void train_bench(const GlobalOptions& globals, const TrainOptions& o) {
  auto overrides = workload_overrides(o.workload);
  overrides.insert(overrides.end(), o.overrides.begin(), o.overrides.end());
  const ComposedConfig job = compose_job(globals, "", overrides);
  train::TrainBenchOptions bench;
  bench.settings = job.settings;
  bench.settings.device = resolved_device(o.machine.device);
  if (o.machine.threads >= 0) bench.settings.threads = o.machine.threads;
  bench.warmup = o.warmup;
  bench.steps = o.steps;
  bench.repeats = o.repeats;
  const auto env = train::configure_environment(bench.settings.threads, bench.settings.device);
  const auto& s = bench.settings;
  const bool quiet = o.machine.json();
  const std::string model = describe_workload(s);
  if (!quiet) {
    std::cout << "workload " << o.workload << ": " << model << "; " << env.threads
              << " thread(s) on " << (on_gpu(env.device) ? env.gpu : env.device) << "\n";
  }
  double peak = o.peak_gflops * 1e9;
  if (peak <= 0) {
    GemmOptions g;
    g.sizes = on_gpu(env.device) ? std::vector<int>{4096, 8192} : std::vector<int>{1024, 2048};
    g.seconds = 0.5;
    g.dtype = config::name(s.train.precision);  // autocast's products run in bf16
    if (!quiet) std::cerr << "measuring the " << g.dtype << " peak (attnlab bench gemm):\n";
    peak = train::peak_flops(run_gemm(g, env.device, quiet));
  }
  const auto result = train::bench_train(bench, [&](int repeat, double steps_per_second) {
    if (!quiet) {
      std::cerr << "  repeat " << repeat + 1 << "/" << bench.repeats << ": " << std::fixed
                << std::setprecision(1) << steps_per_second << " steps/s\n";
    }
  });
  const double flops_per_second = result.median_steps_per_second * result.flops_per_step;
  const double mfu = flops_per_second / peak;
  if (o.machine.json()) {
    std::cout << train_json(env, o, overrides, model, s, result, peak).dump() << "\n";
    return;
  }
  std::cout << std::fixed << std::setprecision(1) << result.median_steps_per_second << " steps/s, "
            << std::setprecision(0) << result.median_tokens_per_second << " target tokens/s ("
            << result.engine << " engine; median of " << bench.repeats << " x " << bench.steps
            << " steps), " << std::setprecision(1) << flops_per_second / 1e9
            << " model GFLOP/s, MFU " << 100 * mfu << " % of " << peak / 1e9 << " GFLOP/s\n"
            << std::setprecision(3) << "loss " << result.first_loss << " (warm-up) -> "
            << result.final_loss << " (last repeat)\n";
}

struct SweepOptions {
  MachineOptions machine;  // threads per job
  int jobs = 0;            // 0: cores / threads
  int steps = 20;
  int repeats = 3;
  int launches = 5;
};

// Runs `jobs`, `parallel` at a time. Throws RunFailed naming the log of a
// job that failed (the log is kept).
void run_all(const std::vector<launch::ChildProcess>& jobs, int parallel) {
  for (const auto& outcome : launch::run_local(jobs, parallel, {})) {
    if (!outcome.ok) {
      throw RunFailed("bench sweep: " + jobs[outcome.index].log.string() + " ended with " +
                      outcome.status);
    }
  }
}

// Runs `argv` `copies` times at once, each with its log in `dir`; returns
// the JSON object each printed last.
std::vector<nlohmann::json> run_copies(const std::vector<std::string>& argv, int copies,
                                       const fs::path& dir, const std::string& name) {
  std::vector<launch::ChildProcess> jobs;
  for (int i = 0; i < copies; ++i)
    jobs.push_back({i, argv, dir / (name + "-" + std::to_string(i) + ".log")});
  run_all(jobs, copies);
  std::vector<nlohmann::json> out;
  for (const auto& job : jobs) {
    std::string text;
    base::read_file(job.log, &text);
    // The JSON is the last line; nothing else is printed with --format json.
    const auto line = text.rfind('\n', text.size() < 2 ? 0 : text.size() - 2);
    out.push_back(nlohmann::json::parse(line == std::string::npos ? text : text.substr(line + 1)));
  }
  return out;
}

// The launcher's overhead: what a sweep's process adds to a run beyond the
// run's own recorded wall time (start-up, config, database), per run of
// `launches` one-step runs in `dir`.
double launch_overhead(const GlobalOptions& globals, const fs::path& dir, int launches) {
  const fs::path db = dir / "overhead.db";
  std::vector<launch::ChildProcess> runs;
  for (int i = 0; i < launches; ++i) {
    runs.push_back(
        {i,
         {"/proc/self/exe", "--db", db.string(), "--config-dir", globals.config_dir.string(), "-q",
          "run", "train.steps=1", "seed=" + std::to_string(i + 1)},
         dir / ("launch-" + std::to_string(i) + ".log")});
  }
  const auto start = std::chrono::steady_clock::now();
  run_all(runs, 1);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double recorded = 0;
  store::RunStore store(db, store::OpenMode::kReadOnly);
  for (const auto& r : store.list_runs())
    recorded += r.wall_seconds;
  return (wall - recorded) / launches;
}

void sweep_bench(const GlobalOptions& globals, SweepOptions o) {
  const auto env =
      train::configure_environment(o.machine.threads, resolved_device(o.machine.device));
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  if (o.jobs == 0) o.jobs = std::max(1, cores / env.threads);
  const fs::path dir =
      fs::temp_directory_path() / ("attnlab-bench-sweep-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const bool quiet = o.machine.json();
  const std::vector<std::string> train = {"/proc/self/exe",
                                          "--config-dir",
                                          globals.config_dir.string(),
                                          "bench",
                                          "train",
                                          "--format=json",
                                          "--threads",
                                          std::to_string(env.threads),
                                          "--device",
                                          env.device,
                                          "--steps",
                                          std::to_string(o.steps),
                                          "--repeats",
                                          std::to_string(o.repeats),
                                          "--peak-gflops",
                                          "1"};
  if (!quiet) std::cerr << "one job of " << env.threads << " thread(s) alone...\n";
  const double alone = run_copies(train, 1, dir, "alone")[0]["steps_per_second"].get<double>();
  if (!quiet)
    std::cerr << "  " << std::fixed << std::setprecision(0) << alone << " tokens/s\n"
              << o.jobs << " jobs at once...\n";
  double together = 0;
  for (const auto& j : run_copies(train, o.jobs, dir, "together"))
    together += j["steps_per_second"].get<double>();
  const double efficiency = together / (o.jobs * alone);

  if (!quiet) std::cerr << "launching " << o.launches << " one-step runs...\n";
  const double overhead = launch_overhead(globals, dir, o.launches);
  std::error_code ignored;
  fs::remove_all(dir, ignored);

  if (o.machine.json()) {
    auto j = environment_json(env);
    j["benchmark"] = "sweep";
    j["jobs"] = o.jobs;
    j["cores"] = cores;
    j["steps_per_second_alone"] = alone;
    j["steps_per_second_together"] = together;
    j["efficiency"] = efficiency;
    j["launch_overhead_seconds"] = overhead;
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << std::fixed << std::setprecision(1) << o.jobs << " jobs x " << env.threads
            << " thread(s) on " << cores << " cores: " << together << " steps/s together, " << alone
            << " alone; efficiency " << 100 * efficiency << " % of ideal\n"
            << "launcher overhead: " << std::setprecision(2) << overhead
            << " s per run (process start, config, database; beyond the run's own "
               "recorded time)\n";
}

void add_gemm_command(CLI::App* bench) {
  auto gemm_options = std::make_shared<GemmOptions>();
  auto* g = bench->add_subcommand(
      "gemm", "the device's matrix-product peak (torch::mm), the denominator of MFU");
  add_machine_options(g, gemm_options->machine);
  g->add_option("--sizes", gemm_options->sizes,
                "n of the n x n products (default: 256 512 1024 2048 on a CPU, 2048 4096 8192 "
                "on a GPU)")
      ->check(CLI::PositiveNumber);
  g->add_option("--dtype", gemm_options->dtype, "fp32, or bf16 (what train.precision=bf16 runs)")
      ->capture_default_str()
      ->check(CLI::IsMember(config::precisions().names()));
  g->add_option("--seconds", gemm_options->seconds, "time per size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  g->callback([gemm_options] { gemm(*gemm_options); });
}

void add_train_command(CLI::App* bench, GlobalOptions& globals) {
  auto train_options = std::make_shared<TrainOptions>();
  train_options->machine.threads = -1;
  auto* t = bench->add_subcommand(
      "train",
      "training throughput of a config of the library's models, trained as `attnlab run` trains "
      "it: steps/s, tokens/s and MFU (bench/README.md)");
  add_machine_options(t, train_options->machine);
  t->get_option("--threads")
      ->description("LibTorch threads (0 = one per core; default: the config's `threads`)")
      ->default_str("");
  t->add_option("overrides", train_options->overrides,
                "config overrides, as for `attnlab run` (e.g. attention=general "
                "train.engine=modules)");
  t->add_option("--workload", train_options->workload,
                "a named config: default (the model of `make run`), standard or standard-512 "
                "(the earlier standard workload, GRU 256 or 512), large (the same at GRU 1024, "
                "batch 256, a GPU's size); overrides apply on top")
      ->capture_default_str();
  t->add_option("--steps", train_options->steps, "timed steps per repeat")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  t->add_option("--repeats", train_options->repeats, "timed repeats; the median is reported")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  t->add_option("--warmup", train_options->warmup, "untimed steps first")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  t->add_option("--peak-gflops", train_options->peak_gflops,
                "the peak for MFU, in the run's precision (default: measured as `attnlab bench "
                "gemm` does)")
      ->check(CLI::PositiveNumber);
  t->callback([&globals, train_options] { train_bench(globals, *train_options); });
}

void add_sweep_bench_command(CLI::App* bench, GlobalOptions& globals) {
  auto sweep_options = std::make_shared<SweepOptions>();
  sweep_options->machine.threads = 1;
  auto* w = bench->add_subcommand(
      "sweep",
      "N jobs x T threads of `bench train` (the default model) at once against one job alone "
      "(efficiency), and the launcher's overhead per run");
  add_machine_options(w, sweep_options->machine);
  w->add_option("--jobs", sweep_options->jobs, "jobs at once (default: cores / threads)")
      ->check(CLI::NonNegativeNumber);
  w->add_option("--steps", sweep_options->steps, "timed steps per repeat")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  w->add_option("--repeats", sweep_options->repeats, "timed repeats per job")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  w->add_option("--launches", sweep_options->launches, "one-step runs timed for the overhead")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  w->callback([sweep_options, &globals] { sweep_bench(globals, *sweep_options); });
}

}  // namespace

void add_bench_command(CLI::App& app, GlobalOptions& globals) {
  auto* bench = app.add_subcommand(
      "bench", "fixed, documented workloads that print throughput (--format json for machines)");
  bench->require_subcommand(1);

  add_gemm_command(bench);
  add_train_command(bench, globals);
  add_sweep_bench_command(bench, globals);
}

}  // namespace attnlab::runner
