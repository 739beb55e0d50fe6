// The local launcher: runs jobs as child processes, at most N at a time, each
// with its output in a log file. A job that crashes, runs out of memory or is
// killed ends only itself; the pool reports how each one ended.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnlab::launch {

// One child process: a sweep job's (launch/child.h writes its argv) or a
// benchmark's.
struct ChildProcess {
  int index = 0;                  // for messages; any numbering the caller likes
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::filesystem::path log;      // receives the job's stdout and stderr
};

struct ProcessOutcome {
  int index = 0;
  bool ok = false;     // exited with status 0
  std::string status;  // "exit code 1", "killed by signal 9", ...
  int pid = 0;         // the process that ran it
};

struct PoolCallbacks {
  std::function<void(const ChildProcess&)> on_start;
  // Each complete line a job appends to its log, as it appears.
  std::function<void(const ChildProcess&, const std::string&)> on_line;
  std::function<void(const ChildProcess&, const ProcessOutcome&)> on_finish;
  // Polled often. Once it returns true no job starts, and running jobs get
  // SIGTERM once (so that they can record themselves as interrupted).
  std::function<bool()> stop_requested;
};

// Runs `jobs` in order, `parallel` at a time, and waits for all that started.
// REQUIRES: parallel >= 1. Returns the outcomes in the order jobs finished.
// Throws std::runtime_error if a process cannot be started at all.
std::vector<ProcessOutcome> run_local(const std::vector<ChildProcess>& jobs, int parallel,
                                      const PoolCallbacks& callbacks);

}  // namespace attnlab::launch
