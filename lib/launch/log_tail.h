// Follows a log file that another process appends to, a whole line at a
// time: a line without its newline yet is left for the next read.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace attnlab::launch {

class LogTail {
 public:
  // Starts at the file's current end (`from_end`) or at its beginning.
  LogTail(std::filesystem::path file, bool from_end) : file_(std::move(file)) {
    std::error_code error;
    if (from_end) {
      const auto size = std::filesystem::file_size(file_, error);
      if (!error) offset_ = static_cast<std::streamoff>(size);
    }
  }

  // Passes each complete line appended since the last call to `on_line`.
  void read(const std::function<void(const std::string&)>& on_line) {
    std::ifstream in(file_);
    in.seekg(offset_);
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline yet: the rest of the line is still coming
      offset_ = in.tellg();
      on_line(line);
    }
  }

 private:
  std::filesystem::path file_;
  std::streamoff offset_ = 0;
};

}  // namespace attnlab::launch
