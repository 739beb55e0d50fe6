// `attnlab report`: redraw a sweep's figure and report page from the
// database alone, without training.
#include <iostream>
#include <memory>

#include "report/length_figure.h"
#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct ReportOptions {
  std::string target;  // a sweep id, or an experiment name (its latest sweep)
  std::string out;
};

void make_report(const GlobalOptions& globals, const ReportOptions& options) {
  store::RunStore store = open_results_read_only(globals);
  const auto sweeps = store.list_sweeps();
  std::string sweep_id;
  for (const auto& w : sweeps) {
    if (w.sweep_id == options.target || w.name == options.target) sweep_id = w.sweep_id;
  }
  if (sweep_id.empty()) {
    std::string known;
    for (const auto& w : sweeps)
      known += "\n  " + w.sweep_id + " (" + w.name + ")";
    throw UsageError("no sweep or experiment '" + options.target + "' in " + globals.db.string() +
                     (known.empty() ? " (it holds no sweeps yet)" : "; sweeps:" + known));
  }
  const auto summary = report::sweep_summary(store, sweep_id);
  if (summary.empty()) {
    throw RunFailed("sweep " + sweep_id + " has no finished runs to report");
  }
  const std::filesystem::path out = options.out.empty() ? "reports/" + options.target : options.out;
  const auto claims = report::sweep_claims(store, sweep_id);
  const auto page = report::write_sweep_report(store, sweep_id, summary, claims, out);
  std::cout << report::summary_table(summary)
            << (claims.empty() ? "" : "\nclaims:\n" + report::claims_text(claims) + "\n")
            << "report: " << page.string() << "\n";
}

}  // namespace

void add_report_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Regenerate a sweep's figures and report page from the database.");
  cmd->add_option("target", options->target,
                  "a sweep id, or an experiment name for its latest sweep")
      ->required();
  cmd->add_option("--out", options->out, "output folder (default reports/TARGET)");
  cmd->callback([&globals, options] { make_report(globals, *options); });
}

}  // namespace attnlab::runner
