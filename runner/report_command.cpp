// `attnlab report`: redraw a sweep's figures and report pages from the
// database alone, without training.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/text.h"
#include "report/page.h"
#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct ReportOptions {
  std::string target;  // a sweep id (or a unique prefix), or an experiment name (its latest sweep)
  std::string out;
  bool check = false;  // exit 1 when a claim fails
  // Replace the experiment's report block's keys (lib/report/study.h).
  std::string lines, facets, headline, figures;
};

YAML::Node comma_list(const std::string& text) {
  YAML::Node list(YAML::NodeType::Sequence);
  std::string item;
  std::istringstream items(text);
  while (std::getline(items, item, ','))
    list.push_back(item);
  return list;
}

// "13-15", "13,15", "[13, 15]" or "13" as a range; a name as it is.
YAML::Node headline_node(std::string text) {
  text.erase(std::remove_if(text.begin(), text.end(),
                            [](char c) { return c == '[' || c == ']' || c == ' '; }),
             text.end());
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return YAML::Node(text);
  const size_t split = text.find_first_of(",-");
  YAML::Node range(YAML::NodeType::Sequence);
  range.push_back(text.substr(0, split));
  range.push_back(split == std::string::npos ? text : text.substr(split + 1));
  return range;
}

// The report options given, as the keys of an experiment's report block.
YAML::Node report_keys(const ReportOptions& options) {
  YAML::Node keys(YAML::NodeType::Map);
  if (!options.lines.empty()) keys["lines"] = comma_list(options.lines);
  if (!options.facets.empty()) keys["facets"] = options.facets;
  if (!options.headline.empty()) keys["headline"] = headline_node(options.headline);
  if (!options.figures.empty()) keys["figures"] = comma_list(options.figures);
  return keys;
}

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
  const std::filesystem::path out = options.out.empty() ? report_folder(globals, store, sweep_id)
                                                        : std::filesystem::path(options.out);
  const PrintedReport printed = print_report(store, sweep_id, out, report_keys(options));
  if (!printed.drawn) throw RunFailed("sweep " + sweep_id + " has no finished runs to report");
  if (options.check && printed.failed_claims > 0) {
    throw RunFailed(std::to_string(printed.failed_claims) + " claim(s) of sweep " + sweep_id +
                    " fail (--check)");
  }
}

}  // namespace

PrintedReport print_report(store::RunStore& store, const std::string& sweep_id,
                           const std::filesystem::path& dir, const YAML::Node& report_keys) {
  report::Study study;
  try {
    study = report::load_study(store, sweep_id, report_keys);
  } catch (const std::invalid_argument& e) {
    // "the command line: report.lines: ..." is about --lines.
    const std::string message = e.what(), given = "the command line: report.";
    throw UsageError(message.rfind(given, 0) == 0 ? "--" + message.substr(given.size()) : message);
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
  cmd->add_option("--out", options->out,
                  "output folder (default ROOT/reports/EXPERIMENT, or ROOT/reports/SWEEP_ID for a "
                  "sweep without an experiment)");
  cmd->add_flag("--check", options->check,
                "exit 1 when a claim of the experiment fails (to gate a CI job on a study)");
  cmd->add_option("--lines", options->lines,
                  "the settings that tell lines (and colours) apart, comma-separated, e.g. "
                  "attention.name or attention.name,model.hidden_size");
  cmd->add_option("--facets", options->facets,
                  "the setting with one panel per value, or none for one panel");
  cmd->add_option("--headline", options->headline,
                  "the lengths of the headline accuracy: all, train, beyond, longest_train, or "
                  "LO-HI (e.g. 13-15)");
  cmd->add_option("--figures", options->figures,
                  "the figures to draw, comma-separated, of " + base::join(report::figure_kinds()));
  cmd->footer(
      "Examples:\n"
      "  attnlab report length_generalization\n"
      "  attnlab report luong_scores --lines attention.name --facets none --headline 13-15\n"
      "  attnlab report sweep-20261124T070043Z --figures accuracy_by_length,alignments --out fig/\n"
      "  attnlab report length_generalization --check        # exit 1 when a claim fails\n"
      "Writes index.html (self-contained, open it in any browser) and report.md, and each\n"
      "figure as PNG, SVG and PDF beside NAME.gp and NAME.dat: `gnuplot NAME.gp` in the\n"
      "folder redraws it, restyled as you edit the script. Figures: accuracy by input length\n"
      "(mean over seeds, 95 % band), a summary grid, paired comparisons between settings\n"
      "(Holm-adjusted), learning curves and attention heatmaps. An experiment's `report:`\n"
      "block picks the lines, panels, headline lengths and figures; --lines, --facets,\n"
      "--headline and --figures replace its keys for this report. Its `claims:` are checked:\n"
      "each passes, fails or is inconclusive by its 95 % interval. The same database gives\n"
      "byte-identical SVG and HTML. The report goes to ROOT/reports/ (see --root).\n"
      "Exit codes: 0 drawn (claims may be inconclusive, or fail without --check), 1 a claim\n"
      "fails with --check, or nothing to draw, 2 no such sweep or experiment, or a bad option.");
  cmd->callback([&globals, options] { make_report(globals, *options); });
}

}  // namespace attnlab::runner
