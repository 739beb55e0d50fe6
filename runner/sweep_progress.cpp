#include "runner/sweep_progress.h"

#include <unistd.h>

#include <iostream>

namespace attnlab::runner {

SweepProgress::SweepProgress(int total, int launched, bool quiet)
    : total_(total), launched_(launched), quiet_(quiet), terminal_(::isatty(STDOUT_FILENO) != 0) {}

double SweepProgress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string SweepProgress::prefix(int index) const {
  return "[" + std::to_string(index) + "/" + std::to_string(total_) + "] ";
}

std::string SweepProgress::counts() const {
  const double elapsed = seconds();
  std::string text = std::to_string(ended_) + "/" + std::to_string(launched_) + " done, " +
                     std::to_string(failed_) + " failed, " + std::to_string(started_ - ended_) +
                     " running, ";
  if (pending_ > 0) text += std::to_string(pending_) + " pending, ";
  text += std::to_string(static_cast<int>(elapsed)) + " s";
  if (ended_ > 0 && ended_ < launched_) {
    text += ", about " + std::to_string(static_cast<int>(elapsed / ended_ * (launched_ - ended_))) +
            " s left";
  }
  return text;
}

void SweepProgress::bar() {
  if (!terminal_) return;
  constexpr int kWidth = 24;
  const int filled = launched_ > 0 ? kWidth * ended_ / launched_ : kWidth;
  std::cout << "\r\033[K[" << std::string(static_cast<size_t>(filled), '#')
            << std::string(static_cast<size_t>(kWidth - filled), '.') << "] " << counts()
            << std::flush;
}

void SweepProgress::say(const std::string& line) {
  if (terminal_) std::cout << "\r\033[K";
  std::cout << line << std::endl;
  bar();
}

void SweepProgress::started(int index, const std::string& what) {
  ++started_;
  say(prefix(index) + "start " + what);
}

void SweepProgress::output(int index, const std::string& line) {
  if (!quiet_) say(prefix(index) + line);
}

void SweepProgress::ended(int index, bool ok, const std::string& failure) {
  ++ended_;
  if (!ok) {
    ++failed_;
    say(prefix(index) + "FAILED " + failure);
  }
  if (terminal_) {
    bar();
  } else {
    std::cout << "progress: " << counts() << std::endl;
  }
}

void SweepProgress::set_pending(int pending) {
  if (pending == pending_) return;
  pending_ = pending;
  bar();
}

void SweepProgress::close() {
  if (terminal_) std::cout << "\r\033[K" << counts() << std::endl;
}

}  // namespace attnlab::runner
