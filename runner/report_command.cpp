// `attnlab report`: redraw a sweep's figures and report pages from the
// database alone, without training.
#include <algorithm>
#include <iostream>
#include <memory>

#include "report/page.h"
#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct ReportOptions {
  std::string target;  // a sweep id (or a unique prefix), or an experiment name (its latest sweep)
  std::string out;
  bool check = false;  // exit 1 when a claim fails
};

void make_report(const GlobalOptions& globals, const ReportOptions& options) {
  store::RunStore store = open_results_read_only(globals);
  const auto sweeps = store.list_sweeps();
  std::string sweep_id;
  for (const auto& w : sweeps) {
    if (w.name == options.target) sweep_id = w.sweep_id;
  }
  if (sweep_id.empty()) {
    if (const auto found = store.find_sweep(options.target)) sweep_id = found->sweep_id;
  }
  if (sweep_id.empty()) {
    std::string known;
    for (const auto& w : sweeps)
      known += "\n  " + w.sweep_id + " (" + w.name + ")";
    throw UsageError("no sweep or experiment '" + options.target + "' in " + globals.db.string() +
                     (known.empty() ? " (it holds no sweeps yet)" : "; sweeps:" + known));
  }
  const std::filesystem::path out =
      options.out.empty() ? report_folder(store, sweep_id) : std::filesystem::path(options.out);
  const PrintedReport printed = print_report(store, sweep_id, out);
  if (!printed.drawn) throw RunFailed("sweep " + sweep_id + " has no finished runs to report");
  if (options.check && printed.failed_claims > 0) {
    throw RunFailed(std::to_string(printed.failed_claims) + " claim(s) of sweep " + sweep_id +
                    " fail (--check)");
  }
}

}  // namespace

PrintedReport print_report(store::RunStore& store, const std::string& sweep_id,
                           const std::filesystem::path& dir) {
  report::Study study;
  try {
    study = report::load_study(store, sweep_id);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (std::none_of(study.runs.begin(), study.runs.end(),
                   [](const report::StudyRun& r) { return r.finished(); })) {
    return {};
  }
  report::ReportFiles files;
  try {
    files = report::write_report(study, dir);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const std::exception& e) {
    throw RunFailed("cannot write the report of sweep " + sweep_id + " to " + dir.string() + ": " +
                    e.what());
  }
  std::cout << "\n"
            << report::summary_text(study)
            << (study.claims.empty() ? "" : "\nclaims:\n" + report::claims_text(study.claims))
            << "\nreport: " << files.html.string() << " (and " << files.markdown.filename().string()
            << "; " << files.figures.size() << " figures as PNG, SVG and PDF)\n";
  PrintedReport printed;
  printed.drawn = true;
  printed.failed_claims = static_cast<int>(
      std::count_if(study.claims.begin(), study.claims.end(), [](const report::ClaimOutcome& c) {
        return c.verdict == report::ClaimOutcome::Verdict::kFail;
      }));
  return printed;
}

void add_report_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Regenerate a sweep's figures and report pages from the database.");
  cmd->add_option("target", options->target,
                  "a sweep id (or a unique prefix), or an experiment name for its latest sweep")
      ->required();
  cmd->add_option("--out", options->out, "output folder (default reports/EXPERIMENT)");
  cmd->add_flag("--check", options->check,
                "exit 1 when a claim of the experiment fails (to gate a CI job on a study)");
  cmd->footer(
      "\nWrites index.html (self-contained, open it in any browser) and report.md, and each\n"
      "figure as PNG, SVG and PDF: accuracy by input length (mean over seeds, 95 % band), a\n"
      "summary grid, paired comparisons between settings (Holm-adjusted), learning curves and\n"
      "attention heatmaps. An experiment's `report:` block picks the lines, panels and\n"
      "headline lengths (lib/report/study.h), its `claims:` what is checked\n"
      "(lib/report/claims.h): each claim passes, fails or is inconclusive by its 95 %\n"
      "interval. The same database gives byte-identical SVG and HTML.\n"
      "Exit codes: 0 drawn (claims may be inconclusive, or fail without --check), 1 a claim\n"
      "fails with --check, or nothing to draw, 2 no such sweep or experiment.");
  cmd->callback([&globals, options] { make_report(globals, *options); });
}

}  // namespace attnlab::runner
