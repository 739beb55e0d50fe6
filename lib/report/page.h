// A study's report: its figures, index.html (self-contained: inline style,
// relative links, no scripts) and report.md with the same content, all from
// the database. Nothing in them depends on when they were drawn, so the same
// database gives the same files, byte for byte (the PDFs excepted: cairo
// stamps them with the time).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "report/figures.h"
#include "report/study.h"

namespace attnlab::report {

struct ReportFiles {
  std::filesystem::path html;      // DIR/index.html
  std::filesystem::path markdown;  // DIR/report.md
  std::vector<Figure> figures;
};

// Draws the figures and writes both pages into `dir`: first into a folder
// beside it, which then replaces `dir` whole (created if needed), so that no
// stale figure of an earlier report stays and two reports at once do not
// mix. Throws std::invalid_argument when `dir` holds files a report does not
// write, std::runtime_error when a figure or page cannot be written.
ReportFiles write_report(const Study& study, const std::filesystem::path& dir);

// The results at a glance, one row per setting, as an aligned text table
// (what `attnlab sweep` and `attnlab report` print).
std::string summary_text(const Study& study);

}  // namespace attnlab::report
