// The figures of a study's report, each drawn as PNG, SVG and PDF from the
// database's numbers alone:
//   accuracy_by_length  exact match against input length, one line per
//                       setting (mean over seeds, 95 % t-interval band), the
//                       training lengths marked, one panel per facet value
//   bleu_by_length      the same for BLEU, at the lengths where it is
//                       defined (Bahdanau et al. 2015, Fig. 2)
//   alignment_error_by_length  the same for the alignment error rate, where
//                       the task has a gold alignment and the runs attend
//   alignment_L<n>      attention weights of one decoded example of length n,
//                       one panel per setting (Bahdanau et al. 2015, Fig. 3)
//   learning_curves     training loss and dev exact match against steps
//   grid_*              headline exact match for each pair of swept settings
//                       (or setting x length range), numbers printed
//   comparisons         paired differences between settings with 95 %
//                       t-intervals, Holm-adjusted verdicts
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "report/study.h"

namespace attnlab::report {

struct Figure {
  std::string name;     // the file stem in the report folder
  std::string title;    // its heading
  std::string caption;  // what it shows and how to read it
};

// Heatmaps of decoded examples' attention (white 0, black 1), one panel
// per (title, example), the example's source tokens along x and its output
// tokens along y.
using AttentionPanels = std::vector<std::pair<std::string, const store::DecodedExample*>>;
// Draws them as `file`, whose extension names the format (one of
// figure_formats()). Throws std::runtime_error when gnuplot fails.
void draw_attention(const AttentionPanels& panels, const std::filesystem::path& file);

// Draws every figure the study has data for into `dir`; `pairs` =
// compare_settings(study).
std::vector<Figure> draw_figures(const Study& study, const std::vector<Comparison>& pairs,
                                 const std::filesystem::path& dir);

}  // namespace attnlab::report
