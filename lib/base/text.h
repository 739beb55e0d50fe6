// Text helpers every layer may use: lists of names, "did you mean",
// fixed-point numbers and Markdown table cells.
#pragma once

#include <string>
#include <vector>

namespace attnlab::base {

// Joins items as "a, b, c" (or with another separator).
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

// Returns " (did you mean 'x'?)" for the closest candidate within a small
// edit distance of `name` (at most a third of it changed, one edit at
// least), or "" when nothing is close.
std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates);

// x with exactly `decimals` digits after the point ("%.*f").
std::string fixed(double x, int decimals);

// `word` single-quoted for a POSIX shell.
std::string shell_quoted(const std::string& word);

// Text safe inside one cell of a Markdown table: '|' escaped, line breaks
// ('\n', '\r') as spaces.
std::string markdown_cell(const std::string& text);

}  // namespace attnlab::base
