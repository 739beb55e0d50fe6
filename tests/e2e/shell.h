// Running commands as a user types them, for the end-to-end tests: a shell
// line in a folder, its exit code and its output. Standard library only.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab::testing {

struct ShellResult {
  int exit_code = -1;  // -1 when the shell was killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh in folder `dir`, after `prelude` (e.g.
// variable assignments), and collects everything it writes.
ShellResult run_shell(const std::filesystem::path& dir, const std::string& prelude,
                      const std::string& command);

// The whole file, "" when it cannot be read.
std::string read_file(const std::filesystem::path& file);

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace attnlab::testing
