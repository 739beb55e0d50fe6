// The command line of the child process that runs one planned job, written
// in this one place for every launcher: the local pool starts it as argv,
// a Slurm array task as a line of its batch script. The child reads its job
// back from the sweep's frozen plan: from the database (`run --sweep-id ID
// --job N`) or, where its database is a fresh shard, from the job file
// (`run --job-file FILE --job N`). N counts from 0.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab::launch {

// A word of a command line: literal text, then text the shell expands (a
// batch script's "$job"); argv holds both parts as they are.
struct ShellWord {
  std::string literal;
  std::string expanded;  // "" for a plain word
};

struct ChildCommand {
  std::filesystem::path executable;
  ShellWord db;                      // the database the run is recorded in
  std::filesystem::path config_dir;  // "" leaves the child's default
  std::string sweep_id;              // the plan is in `db` ...
  std::filesystem::path job_file;    // ... or in this job file
  ShellWord job;                     // the job's 0-based place in the plan
};

std::vector<ShellWord> child_words(const ChildCommand& command);

// The words as an argv (expanded parts kept as they are).
std::vector<std::string> child_argv(const ChildCommand& command);

// The words as one line of a POSIX shell script: literals single-quoted
// (flags bare), expanded parts double-quoted.
std::string child_shell_line(const ChildCommand& command);

}  // namespace attnlab::launch
