// fork/exec with the log opened in the child; waitpid(WNOHANG) polling lets
// one thread follow every log and notice stop requests between exits.
#include "launch/local_pool.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <thread>

#include "launch/log_tail.h"

namespace attnlab::launch {
namespace {

struct Running {
  const ChildProcess* job = nullptr;
  LogTail log;
};

pid_t start(const ChildProcess& job) {
  std::vector<std::string> args = job.argv;
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // Empty the log before the child exists: were the child to truncate it,
  // the parent could first read an earlier attempt's lines (a resumed job
  // reuses its log) and then follow the new ones from a wrong offset.
  std::ofstream(job.log, std::ios::trunc).close();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot start a job: ") + strerror(errno));
  if (pid == 0) {
    // If the driver dies (kill -9 included), the job gets SIGTERM and records
    // itself as interrupted instead of training on unobserved.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(143);  // the driver died before prctl
    const int fd = open(job.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(argv[0], argv.data());
    const std::string message =
        std::string("cannot run ") + argv[0] + ": " + strerror(errno) + "\n";
    (void)!write(STDERR_FILENO, message.data(), message.size());
    _exit(127);
  }
  return pid;
}

void follow(Running& r, const PoolCallbacks& callbacks) {
  r.log.read([&](const std::string& line) {
    if (callbacks.on_line) callbacks.on_line(*r.job, line);
  });
}

std::string describe(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with status " + std::to_string(status);
}

}  // namespace

std::vector<ProcessOutcome> run_local(const std::vector<ChildProcess>& jobs, int parallel,
                                      const PoolCallbacks& callbacks) {
  if (parallel < 1) throw std::invalid_argument("run_local: parallel must be at least 1");
  std::map<pid_t, Running> running;
  std::vector<ProcessOutcome> outcomes;
  size_t next = 0;
  bool stopping = false;
  while (next < jobs.size() || !running.empty()) {
    if (!stopping && callbacks.stop_requested && callbacks.stop_requested()) {
      stopping = true;
      for (const auto& entry : running)
        kill(entry.first, SIGTERM);
    }
    while (!stopping && next < jobs.size() && static_cast<int>(running.size()) < parallel) {
      const ChildProcess& job = jobs[next++];
      if (callbacks.on_start) callbacks.on_start(job);
      running.emplace(start(job), Running{&job, LogTail(job.log, false)});
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    for (auto& entry : running)
      follow(entry.second, callbacks);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    Running finished = it->second;
    running.erase(it);
    follow(finished, callbacks);
    ProcessOutcome outcome{finished.job->index, WIFEXITED(status) && WEXITSTATUS(status) == 0,
                           describe(status), pid};
    if (callbacks.on_finish) callbacks.on_finish(*finished.job, outcome);
    outcomes.push_back(outcome);
  }
  return outcomes;
}

}  // namespace attnlab::launch
