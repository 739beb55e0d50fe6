#include "launch/child.h"

#include <algorithm>
#include <cctype>

#include "base/text.h"

namespace attnlab::launch {

std::vector<ShellWord> child_words(const ChildCommand& command) {
  std::vector<ShellWord> words = {{command.executable.string(), ""}, {"--db", ""}, command.db};
  if (!command.config_dir.empty()) {
    words.push_back({"--config-dir", ""});
    words.push_back({command.config_dir.string(), ""});
  }
  words.push_back({"run", ""});
  if (command.job_file.empty()) {
    words.push_back({"--sweep-id", ""});
    words.push_back({command.sweep_id, ""});
  } else {
    words.push_back({"--job-file", ""});
    words.push_back({command.job_file.string(), ""});
  }
  words.push_back({"--job", ""});
  words.push_back(command.job);
  return words;
}

std::vector<std::string> child_argv(const ChildCommand& command) {
  std::vector<std::string> argv;
  for (const auto& word : child_words(command))
    argv.push_back(word.literal + word.expanded);
  return argv;
}

namespace {

// Flags and names the shell reads as they are stay bare.
std::string shell_literal(const std::string& word) {
  const bool plain = std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  });
  return plain ? word : base::shell_quoted(word);
}

}  // namespace

std::string child_shell_line(const ChildCommand& command) {
  std::string line;
  for (const auto& word : child_words(command)) {
    if (!line.empty()) line += " ";
    if (!word.literal.empty()) line += shell_literal(word.literal);
    if (!word.expanded.empty()) line += "\"" + word.expanded + "\"";
  }
  return line;
}

}  // namespace attnlab::launch
