// Accuracy versus source length, one line per run of a sweep, drawn by
// gnuplot as PNG and SVG; plus the summary table and the report page built
// from the same numbers. Everything here reads the database only, so a report
// can be regenerated at any time without training.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "report/claims.h"
#include "store/run_store.h"

namespace attnlab::report {

struct Series {
  std::string label;
  std::vector<store::LengthEval> points;  // ordered by length
};

struct LengthFigure {
  std::string title;
  std::array<int, 2> train_lengths{0, 0};  // shaded; {0, 0} for none
  std::vector<Series> series;
};

// One row per finished run: the sequence (exact-match) accuracies that
// matter for the seed's claim.
struct SummaryRow {
  std::string run_id;
  std::string label;
  double train_accuracy = 0;    // over the evaluated examples of the training lengths
  double longest_accuracy = 0;  // at the longest training length
  double beyond_accuracy = -1;  // over the examples of lengths past training; -1 if none
  double wall_seconds = 0;
};

// The figure and summary of one sweep's finished runs. Runs are labelled by
// attention setting, plus whatever else differs between them.
LengthFigure sweep_figure(store::RunStore& store, const std::string& sweep_id);
std::vector<SummaryRow> sweep_summary(store::RunStore& store, const std::string& sweep_id);

// Writes `stem`.png and `stem`.svg. Throws std::runtime_error when gnuplot
// fails or writes nothing.
void write_length_figure(const LengthFigure& figure, const std::filesystem::path& stem);

// The summary as an aligned text table (also used in the report page).
std::string summary_table(const std::vector<SummaryRow>& rows);

// The finished runs of a sweep with their settings and scores.
std::vector<RunResult> sweep_results(store::RunStore& store, const std::string& sweep_id);

// The claims of the experiment file the sweep ran (as stored with it; none
// without one), checked on its finished runs. Throws std::invalid_argument
// when the stored claims do not parse.
std::vector<ClaimOutcome> sweep_claims(store::RunStore& store, const std::string& sweep_id);

// Writes DIR/accuracy_vs_length.{png,svg} and DIR/index.md for the sweep,
// with `summary` = sweep_summary(store, sweep_id). Returns the path of index.md.
// with its claims' verdicts (`claims` = sweep_claims(store, sweep_id)).
std::filesystem::path write_sweep_report(store::RunStore& store, const std::string& sweep_id,
                                         const std::vector<SummaryRow>& summary,
                                         const std::vector<ClaimOutcome>& claims,
                                         const std::filesystem::path& dir);

}  // namespace attnlab::report
