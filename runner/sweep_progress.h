// What a sweep prints while its jobs run, whichever launcher runs them: one
// line per job start and failure, the jobs' own output prefixed with
// "[i/N]", and counts with elapsed time and an estimate of what is left. On a
// terminal the counts are a bar redrawn under the scrolling lines; otherwise
// a plain "progress:" line after each job ends.
#pragma once

#include <chrono>
#include <string>

namespace attnlab::runner {

class SweepProgress {
 public:
  // `total`: jobs in the plan (for "[i/N]"); `launched`: jobs this sweep runs.
  SweepProgress(int total, int launched, bool quiet);

  // `index` is the job's 1-based place in the plan.
  void started(int index, const std::string& what);
  void output(int index, const std::string& line);  // dropped when quiet
  void ended(int index, bool ok, const std::string& failure = "");
  void set_pending(int pending);  // jobs a cluster has not started yet
  // Erases the bar and prints the final counts.
  void close();

  int failed() const { return failed_; }

 private:
  // Prints a line of its own between the job lines.
  void say(const std::string& line);
  double seconds() const;
  std::string prefix(int index) const;
  std::string counts() const;
  void bar();

  int total_;
  int launched_;
  bool quiet_;
  bool terminal_;
  int started_ = 0, ended_ = 0, failed_ = 0, pending_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace attnlab::runner
