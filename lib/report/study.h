// A sweep as its report sees it: every job's run with its settings, scores,
// learning curve and decoded examples, read from the database alone; which
// settings were swept; and the numbers the figures and tables share (headline
// accuracy per setting, paired comparisons between settings).
//
// An experiment file may say how its report is drawn (every key optional):
//
//   report:
//     lines: attention.name        # a setting or a list of settings: one line
//                                  # (and one colour) per value or combination
//     facets: model.hidden_size    # a setting: one panel per value; none: one panel
//     headline: [13, 15]           # the lengths of the headline accuracy, as in
//                                  # claims: all | train | beyond | longest_train | [lo, hi]
//     figures: [accuracy_by_length, alignments]   # which to draw, of
//                                  # figure_kinds() (see figures.h)
//
// Defaults: lines = the first swept setting, facets = the second (if any),
// headline = all, figures = all of them. Settings are flattened names, as in claims ("seed" never
// makes a line: runs that differ only in seed are one setting, averaged).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "report/claims.h"
#include "report/statistics.h"
#include "store/run_store.h"

namespace attnlab::report {

struct ReportSpec {
  std::vector<std::string> lines;  // empty: the first swept setting
  std::string facets;              // "": the second swept setting, if any
  bool no_facets = false;          // `facets: none`
  LengthSelection headline;
  std::vector<std::string> figures;  // empty: every kind

  bool draws(const std::string& kind) const;
};

// The figures a report can draw: accuracy_by_length, bleu_by_length,
// alignment_error_by_length, summary_grid, comparisons, learning_curves,
// alignments.
const std::vector<std::string>& figure_kinds();

// Parses the `report` node of an experiment file (undefined or null: the
// defaults). Throws std::invalid_argument "FILE:LINE:COL: report.lines: ...".
ReportSpec parse_report_spec(const YAML::Node& node, const std::string& file);

struct StudyRun {
  store::RunRecord record;
  RunResult result;  // settings; scores when finished
  std::vector<store::MetricPoint> metrics;
  std::vector<store::DecodedExample> examples;
  std::string
      setting;  // the values of the swept settings but the seed: "dot", "dot, hidden_size=64"
  std::string seed;

  bool finished() const { return record.status == store::RunStatus::kFinished; }
  // The run's value of a flattened setting, "" when it has none.
  std::string value(const std::string& key) const;
};

struct Study {
  store::SweepRecord sweep;
  std::string description;  // the experiment file's leading comment, as paragraphs
  std::string experiment_yaml;
  std::vector<std::string> swept;     // settings whose values differ between runs, seed excluded
  std::vector<std::string> seeds;     // distinct seeds, in run order
  ReportSpec spec;                    // with lines and facets resolved
  std::string length_unit;            // "symbols", or "tokens" when unknown
  std::vector<StudyRun> runs;         // the run of every job that has one, in job order
  std::vector<std::string> settings;  // distinct settings, in run order
  std::vector<ClaimOutcome> claims;
};

// Reads sweep `sweep_id`. `report` (a map with any of the keys of an
// experiment's `report:` block, as `attnlab report --lines ...` gives them)
// replaces those keys of the stored experiment's block. Throws
// std::invalid_argument when the stored claims or report block, or `report`,
// do not parse or name a setting no run has.
Study load_study(store::RunStore& store, const std::string& sweep_id,
                 const YAML::Node& report = YAML::Node());

// "attention.name" -> "attention", "model.hidden_size" -> "hidden_size".
std::string short_name(const std::string& key);

// A short column label for a length selection: "13-15", "train", "beyond",
// "longest train", "all".
std::string lengths_label(const LengthSelection& lengths);

// Exact match of a finished run over the selected lengths: every evaluated
// example of them, pooled.
struct Headline {
  int examples = 0;
  double value = 0;      // exact-match fraction; 0 when examples == 0
  std::string outcomes;  // '1'/'0' per example, lengths in order; "" when not recorded
};
Headline headline_of(const StudyRun& run, const LengthSelection& lengths);

// A setting's headline over its finished seeds, with its interval.
struct SettingHeadline {
  std::string setting;
  int seeds = 0;  // finished runs with headline examples
  Interval value;
};
std::vector<SettingHeadline> headlines(const Study& study, const LengthSelection& lengths);

// A - B in headline exact match over the seeds both finished, paired.
struct Comparison {
  std::string a;
  std::string b;
  int seeds = 0;
  Interval difference;    // unadjusted 95 % interval; difference.p_value unadjusted
  double holm_p = 1;      // p-value adjusted by Holm over every comparison of the study
  bool outcomes = false;  // per-example outcomes were paired (else seeds only)

  // The difference holds after Holm's adjustment at the 5 % level.
  bool clear() const { return holm_p < 0.05; }
};

// Every pair of settings (each against the best one when there are more
// than 10), oriented so that A has the higher estimate, with Holm's
// adjustment over all of them.
std::vector<Comparison> compare_settings(const Study& study);

}  // namespace attnlab::report
