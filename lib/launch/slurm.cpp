#include "launch/slurm.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "base/text.h"
#include "launch/child.h"

namespace attnlab::launch {
namespace {

const std::vector<std::string>& option_keys() {
  static const std::vector<std::string> kKeys = {
      "partition",         "time",         "cpus_per_task", "mem_per_task", "gpus",
      "array_parallelism", "sbatch_flags", "poll_seconds",  "job_name"};
  return kKeys;
}

std::string valid_keys() {
  std::string out;
  for (const auto& k : option_keys())
    out += (out.empty() ? "" : ", ") + k;
  return out;
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& where, const char* expected) {
  try {
    if (!node.IsScalar()) throw YAML::Exception(node.Mark(), "not a scalar");
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw std::invalid_argument(where + ": expected " + expected);
  }
}

int non_negative(const YAML::Node& node, const std::string& where) {
  const int value = scalar<int>(node, where, "a whole number >= 0");
  if (value < 0) throw std::invalid_argument(where + ": expected a whole number >= 0");
  return value;
}

// One key's value; `where` names it in errors.
void set_option(SlurmOptions* o, const std::string& key, const YAML::Node& value,
                const std::string& where) {
  if (key == "partition") {
    o->partition = value.IsNull() ? "" : scalar<std::string>(value, where, "a partition name");
  } else if (key == "time") {
    o->time = scalar<std::string>(value, where, "a Slurm time such as 04:00:00 or 90");
    if (o->time.empty() || o->time.find_first_not_of("0123456789:-") != std::string::npos) {
      throw std::invalid_argument(where + ": '" + o->time +
                                  "' is not a Slurm time; valid: MINUTES, HH:MM:SS, D-HH:MM:SS");
    }
  } else if (key == "cpus_per_task") {
    o->cpus_per_task = non_negative(value, where);
  } else if (key == "mem_per_task") {
    o->mem_per_task = value.IsNull() ? "" : scalar<std::string>(value, where, "a size like 4G");
    if (!o->mem_per_task.empty() &&
        (!std::isdigit(static_cast<unsigned char>(o->mem_per_task[0])) ||
         o->mem_per_task.find_first_not_of("0123456789KMGTkmgt") != std::string::npos)) {
      throw std::invalid_argument(where + ": '" + o->mem_per_task +
                                  "' is not a memory size; valid: a number with K, M, G or T");
    }
  } else if (key == "gpus") {
    o->gpus = non_negative(value, where);
  } else if (key == "array_parallelism") {
    o->array_parallelism = non_negative(value, where);
  } else if (key == "sbatch_flags") {
    if (!value.IsSequence() && !value.IsNull()) {
      throw std::invalid_argument(where + ": expected a list of flags, e.g. [\"--qos=short\"]");
    }
    o->sbatch_flags.clear();
    for (const auto& flag : value)
      o->sbatch_flags.push_back(scalar<std::string>(flag, where, "a list of strings"));
  } else if (key == "poll_seconds") {
    o->poll_seconds = scalar<double>(value, where, "a number of seconds");
    if (!(o->poll_seconds >= 0.1)) throw std::invalid_argument(where + ": must be at least 0.1");
  } else if (key == "job_name") {
    o->job_name = value.IsNull() ? "" : scalar<std::string>(value, where, "a name");
  } else {
    throw std::invalid_argument(where + ": unknown launcher option '" + key +
                                "'; valid: " + valid_keys());
  }
}

// The first word of a state: sacct writes "CANCELLED by 0".
std::string first_word(const std::string& text) {
  return text.substr(0, text.find(' '));
}

}  // namespace

SlurmOptions parse_slurm_options(const std::string& yaml, const std::string& origin) {
  SlurmOptions options;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                                std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return options;
  if (!root.IsMap()) throw std::invalid_argument(origin + ": expected a map of launcher options");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    set_option(&options, key, entry.second,
               origin + ":" + std::to_string(entry.first.Mark().line + 1) + ": " + key);
  }
  return options;
}

void apply_slurm_override(SlurmOptions* options, const std::string& key, const std::string& value) {
  YAML::Node node;
  try {
    node = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument("launcher." + key + "=" + value + ": " + e.msg);
  }
  set_option(options, key, node, "launcher." + key + "=" + value);
}

std::string slurm_options_yaml(const SlurmOptions& o) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "partition" << YAML::Value << YAML::DoubleQuoted << o.partition;
  out << YAML::Key << "time" << YAML::Value << YAML::DoubleQuoted << o.time;
  out << YAML::Key << "cpus_per_task" << YAML::Value << o.cpus_per_task;
  out << YAML::Key << "mem_per_task" << YAML::Value << YAML::DoubleQuoted << o.mem_per_task;
  out << YAML::Key << "gpus" << YAML::Value << o.gpus;
  out << YAML::Key << "array_parallelism" << YAML::Value << o.array_parallelism;
  out << YAML::Key << "sbatch_flags" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& f : o.sbatch_flags)
    out << YAML::DoubleQuoted << f;
  out << YAML::EndSeq;
  out << YAML::Key << "poll_seconds" << YAML::Value << o.poll_seconds;
  out << YAML::Key << "job_name" << YAML::Value << YAML::DoubleQuoted << o.job_name;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string array_spec(std::vector<int> ids, int parallelism) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string out;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
      ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(ids[i]);
    if (j > i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
  if (parallelism > 0) out += "%" + std::to_string(parallelism);
  return out;
}

std::filesystem::path shard_path(const std::filesystem::path& sweep_dir, int task_id) {
  return sweep_dir / "shards" / ("job-" + std::to_string(task_id)) / "attnlab.db";
}

std::vector<std::string> sbatch_arguments(const ArrayRequest& r) {
  const SlurmOptions& o = r.options;
  std::vector<std::string> args = {
      "--parsable",
      "--job-name=" + r.job_name,
      "--array=" + array_spec(r.task_ids, o.array_parallelism),
      // The same log the local launcher writes; a rerun appends to it.
      "--output=" + (r.sweep_dir / "job-%a.log").string(),
      "--open-mode=append",
      "--chdir=" + r.workdir.string(),
      "--time=" + o.time,
      "--ntasks=1",
      "--cpus-per-task=" + std::to_string(std::max(1, r.cpus_per_task)),
  };
  if (!o.partition.empty()) args.push_back("--partition=" + o.partition);
  if (!o.mem_per_task.empty()) args.push_back("--mem=" + o.mem_per_task);
  if (o.gpus > 0) args.push_back("--gres=gpu:" + std::to_string(o.gpus));
  args.insert(args.end(), o.sbatch_flags.begin(), o.sbatch_flags.end());
  return args;
}

std::string batch_script(const ArrayRequest& r) {
  std::ostringstream s;
  s << "#!/bin/sh\n"
    << "# Written by attnlab. Array task i runs job i of the frozen plan in\n"
    << "# " << r.job_file.string() << " and writes its results to its own shard\n"
    << "# database, shards/job-i/attnlab.db; the sweep's driver (or `attnlab merge`)\n"
    << "# merges the shards into the main database. Submitted as:\n"
    << "#   sbatch";
  for (const auto& a : sbatch_arguments(r))
    s << " " << base::shell_quoted(a);
  ChildCommand child;
  child.executable = r.executable;
  child.db = {(r.sweep_dir / "shards").string(), "/job-$SLURM_ARRAY_TASK_ID/attnlab.db"};
  child.job_file = r.job_file;
  child.job = {"", "$job"};
  s << " THIS_FILE\n"
    << "job=$((SLURM_ARRAY_TASK_ID - 1))\n"
    << "exec " << child_shell_line(child) << "\n";
  return s.str();
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  }
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args)
    c_args.push_back(a.data());
  c_args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    execvp(c_args[0], c_args.data());
    const std::string message = std::string(c_args[0]) + ": " + strerror(errno) + "\n";
    (void)!write(STDERR_FILENO, message.data(), message.size());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string submit_array(const std::vector<std::string>& arguments,
                         const std::filesystem::path& script) {
  std::vector<std::string> argv = {"sbatch"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  argv.push_back(script.string());
  const CommandResult r = run_command(argv);
  if (r.exit_code == 127) {
    throw std::runtime_error(
        "cannot run sbatch: it is not on PATH. The Slurm launcher needs Slurm's client commands "
        "(Debian: apt-get install slurm-client) and a cluster; scripts/slurm-local.sh up starts "
        "one on this machine");
  }
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    std::string said = r.err.empty() ? r.out : r.err;
    while (!said.empty() && said.back() == '\n')
      said.pop_back();
    throw std::runtime_error("sbatch refused the array (exit code " + std::to_string(r.exit_code) +
                             "): " + said);
  }
  return id;
}

std::map<std::string, TaskState> parse_squeue(const std::string& out) {
  std::map<std::string, TaskState> tasks;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const auto second = line.find('|', bar + 1);
    TaskState t;
    t.state = first_word(
        line.substr(bar + 1, second == std::string::npos ? std::string::npos : second - bar - 1));
    t.reason = second == std::string::npos ? "" : line.substr(second + 1);
    tasks[line.substr(0, bar)] = t;
  }
  return tasks;
}

std::map<std::string, TaskState> parse_sacct(const std::string& out) {
  return parse_squeue(out);  // "JobID|State", the same shape without a reason
}

std::optional<std::map<std::string, TaskState>> query_tasks(const std::vector<std::string>& arrays,
                                                            std::string* error) {
  if (arrays.empty()) return std::map<std::string, TaskState>{};
  std::string ids;
  for (const auto& a : arrays)
    ids += (ids.empty() ? "" : ",") + a;
  const CommandResult q =
      run_command({"squeue", "-h", "-r", "-t", "all", "-j", ids, "-o", "%i|%T|%r"});
  std::map<std::string, TaskState> tasks;
  // An array Slurm has wholly forgotten is "Invalid job id" (exit 1), which
  // is an answer, not a failure.
  if (q.exit_code != 0 && q.err.find("Invalid job id") == std::string::npos) {
    *error = "squeue failed (exit code " + std::to_string(q.exit_code) + "): " + q.err;
    return std::nullopt;
  }
  if (q.exit_code == 0) tasks = parse_squeue(q.out);
  // Accounting remembers tasks squeue has dropped (after MinJobAge); without
  // it sacct says accounting is disabled and adds nothing.
  const CommandResult a = run_command({"sacct", "-n", "-P", "-X", "-j", ids, "-o", "JobID,State"});
  if (a.exit_code == 0) {
    for (const auto& [id, state] : parse_sacct(a.out))
      tasks.emplace(id, state);
  }
  return tasks;
}

StateMeaning interpret_state(const std::string& slurm_state) {
  static const std::map<std::string, StateMeaning> kStates = {
      {"PENDING", {TaskPhase::kPending, TaskEnd::kNotEnded, "pending"}},
      {"REQUEUED", {TaskPhase::kPending, TaskEnd::kNotEnded, "requeued"}},
      {"REQUEUE_HOLD", {TaskPhase::kPending, TaskEnd::kNotEnded, "requeued and held"}},
      {"REQUEUE_FED", {TaskPhase::kPending, TaskEnd::kNotEnded, "requeued"}},
      {"RESV_DEL_HOLD", {TaskPhase::kPending, TaskEnd::kNotEnded, "held"}},
      {"CONFIGURING", {TaskPhase::kRunning, TaskEnd::kNotEnded, "starting"}},
      {"RUNNING", {TaskPhase::kRunning, TaskEnd::kNotEnded, "running"}},
      {"COMPLETING", {TaskPhase::kRunning, TaskEnd::kNotEnded, "completing"}},
      {"STAGE_OUT", {TaskPhase::kRunning, TaskEnd::kNotEnded, "completing"}},
      {"SIGNALING", {TaskPhase::kRunning, TaskEnd::kNotEnded, "being signalled"}},
      {"SUSPENDED", {TaskPhase::kRunning, TaskEnd::kNotEnded, "suspended"}},
      {"STOPPED", {TaskPhase::kRunning, TaskEnd::kNotEnded, "stopped"}},
      {"RESIZING", {TaskPhase::kRunning, TaskEnd::kNotEnded, "resizing"}},
      {"COMPLETED", {TaskPhase::kEnded, TaskEnd::kCompleted, "completed"}},
      {"FAILED", {TaskPhase::kEnded, TaskEnd::kFailed, "failed (a non-zero exit or a signal)"}},
      {"CANCELLED", {TaskPhase::kEnded, TaskEnd::kInterrupted, "cancelled (scancel)"}},
      {"TIMEOUT", {TaskPhase::kEnded, TaskEnd::kInterrupted, "hit its time limit (launcher.time)"}},
      {"OUT_OF_MEMORY",
       {TaskPhase::kEnded, TaskEnd::kFailed, "ran out of memory (raise launcher.mem_per_task)"}},
      {"NODE_FAIL", {TaskPhase::kEnded, TaskEnd::kInterrupted, "lost its node (NODE_FAIL)"}},
      {"PREEMPTED", {TaskPhase::kEnded, TaskEnd::kInterrupted, "was preempted"}},
      {"BOOT_FAIL", {TaskPhase::kEnded, TaskEnd::kInterrupted, "its node failed to boot"}},
      {"DEADLINE", {TaskPhase::kEnded, TaskEnd::kInterrupted, "passed its deadline"}},
      {"REVOKED", {TaskPhase::kEnded, TaskEnd::kInterrupted, "was revoked"}},
      {"SPECIAL_EXIT", {TaskPhase::kEnded, TaskEnd::kFailed, "ended with a special exit"}},
      // Not Slurm's: attnlab's word for a task Slurm no longer knows at all.
      {"VANISHED",
       {TaskPhase::kEnded, TaskEnd::kInterrupted,
        "is unknown to Slurm (cancelled while pending, or forgotten after it ended)"}},
  };
  const auto it = kStates.find(first_word(slurm_state));
  if (it != kStates.end()) return it->second;
  return {TaskPhase::kEnded, TaskEnd::kFailed, "ended in Slurm state " + slurm_state};
}

}  // namespace attnlab::launch
