// Whole-file reads and crash-safe writes.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab::base {

// Writes `bytes` to `file` so that a crash leaves the old file or the new
// one, never half of one: a temporary file, fsync, rename, fsync of the
// folder. Throws std::runtime_error naming the file and the reason (a full
// disk, say).
void write_file_atomically(const std::filesystem::path& file, const std::string& bytes);

// Writes `bytes` to `file`, replacing it (no crash safety: for files that
// are rebuilt whole, like a report's). Throws std::runtime_error naming the
// file and the reason.
void write_file(const std::filesystem::path& file, const std::string& bytes);

// Reads a whole file; false if it cannot be read.
bool read_file(const std::filesystem::path& file, std::string* bytes);

}  // namespace attnlab::base
