// Each figure is one gnuplot script built from the study's numbers, its data
// as datablocks in a file beside it (plot.h).
#include "report/figures.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/text.h"
#include "report/plot.h"

namespace attnlab::report {
namespace fs = std::filesystem;
namespace {

using base::fixed;

constexpr size_t kMostAlignmentPanels = 12;

void add_unique(std::vector<std::string>* list, const std::string& item) {
  if (std::find(list->begin(), list->end(), item) == list->end()) list->push_back(item);
}

template <typename T>
size_t index_of(const std::vector<T>& list, const T& item) {
  return static_cast<size_t>(std::find(list.begin(), list.end(), item) - list.begin());
}

std::vector<const StudyRun*> finished_runs(const Study& study) {
  std::vector<const StudyRun*> runs;
  for (const auto& run : study.runs)
    if (run.finished()) runs.push_back(&run);
  return runs;
}

// The settings that tell lines apart: the report's lines, then every other
// swept setting but the facets.
std::vector<std::string> line_keys(const Study& study) {
  std::vector<std::string> keys = study.spec.lines;
  for (const auto& key : study.swept)
    if (key != study.spec.facets) add_unique(&keys, key);
  return keys;
}

// "dot", or "dot, hidden_size=64" for several keys.
std::string label_over(const StudyRun& run, const std::vector<std::string>& keys) {
  std::string label;
  for (const auto& key : keys)
    label += label.empty() ? run.value(key) : ", " + short_name(key) + "=" + run.value(key);
  return label.empty() ? run.setting : label;
}

std::string seeds_text(size_t n) {
  return n == 1 ? "one seed" : std::to_string(n) + " seeds";
}

// How the intervals were made, for captions.
std::string interval_text(const Study& study) {
  return study.seeds.size() > 1
             ? "95 % Student-t interval over the seeds, never narrower than the sampling of "
               "the test examples allows"
             : "95 % interval over the evaluated examples (one seed, so it shows test-sample "
               "noise only, not seed-to-seed variation)";
}

// gnuplot tic labels: ("a" 0, "b" 1, ...).
std::string tic_labels(const std::vector<std::string>& labels) {
  std::string out = "(";
  for (size_t i = 0; i < labels.size(); ++i)
    out += (i ? ", " : "") + gnuplot_string(labels[i]) + " " + std::to_string(i);
  return out + ")";
}

// "plot A, B, ...", one element per line.
std::string plot_command(const std::vector<std::string>& elements) {
  std::string out = "plot ";
  for (size_t i = 0; i < elements.size(); ++i)
    out += (i ? ", \\\n     " : "") + elements[i];
  return out + "\n";
}

std::string datablock(const std::string& name, const std::string& rows) {
  return "$" + name + " << EOD\n" + rows + "EOD\n";
}

// A figure of panels in a grid, with the legend in a strip of its own below
// them so that it never covers data. Sizes in pixels.
struct PanelLayout {
  int across = 1, down = 1;
  int slot_width = 900, slot_height = 560;  // a panel with the room for its labels
  int left = 80, right = 24, top = 40, bottom = 64;
  int key_columns = 1, key_height = 0;
  int width() const { return across * slot_width; }
  int height() const { return down * slot_height + key_height; }
};

// A legend: (plot style, title) of each entry.
using KeyEntries = std::vector<std::pair<std::string, std::string>>;

// Room for the legend `entries` in rows of as many as fit the width.
void fit_key(PanelLayout* layout, const KeyEntries& entries) {
  size_t longest = 1;
  for (const auto& entry : entries)
    longest = std::max(longest, entry.second.size());
  const int width = static_cast<int>(longest) * 8 + 60;
  layout->key_columns =
      std::clamp(layout->width() / width, 1, std::max(1, static_cast<int>(entries.size())));
  const int key_rows =
      (static_cast<int>(entries.size()) + layout->key_columns - 1) / layout->key_columns;
  layout->key_height = entries.empty() ? 0 : 20 * key_rows + 16;
}

// Places the next plot in panel p's slot (left to right, then down).
std::string panel_margins(const PanelLayout& l, size_t p) {
  const int x = static_cast<int>(p) % l.across * l.slot_width;
  const int y = static_cast<int>(p) / l.across * l.slot_height;
  const auto at_x = [&](int px) { return fixed(static_cast<double>(px) / l.width(), 5); };
  const auto at_y = [&](int px) { return fixed(1 - static_cast<double>(px) / l.height(), 5); };
  return "set lmargin at screen " + at_x(x + l.left) + "\nset rmargin at screen " +
         at_x(x + l.slot_width - l.right) + "\nset tmargin at screen " + at_y(y + l.top) +
         "\nset bmargin at screen " + at_y(y + l.slot_height - l.bottom) + "\n";
}

// The legend, drawn last as a plot of its own over the strip below the
// panels.
std::string key_strip(const PanelLayout& l, const KeyEntries& entries) {
  if (entries.empty()) return "";
  std::vector<std::string> elements;
  for (const auto& [style, title] : entries)
    elements.push_back("NaN with " + style + " title " + gnuplot_string(title));
  return "set lmargin at screen 0.01\nset rmargin at screen 0.99\nset bmargin at screen 0\n"
         "set tmargin at screen " +
         fixed(static_cast<double>(l.key_height) / l.height(), 5) +
         "\nunset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\nunset object\n"
         "unset label\nunset arrow\nunset grid\nunset logscale\nset xrange [0:1]\n"
         "set yrange [0:1]\nset key center center horizontal Left reverse maxcols " +
         std::to_string(l.key_columns) + " samplen 2.5 spacing 1.1\n" + plot_command(elements);
}

// Draws `plot` as the figure's files (its name is their stem) and returns
// the figure.
Figure drawn(const Plot& plot, const fs::path& dir, Figure figure) {
  render(plot, dir / figure.name);
  return figure;
}

// --- accuracy by length ------------------------------------------------------

// Marks the lengths the runs of one panel trained on: a shaded region when
// they share one range, else a dashed line at the end of each.
void training_marks(std::ostringstream& cmd, const std::set<std::pair<int, int>>& trained, int lo) {
  if (trained.size() == 1 && trained.begin()->second > 0) {
    const auto [train_lo, train_hi] = *trained.begin();
    cmd << "set object 1 rect from " << std::max(train_lo, lo) - 0.5 << ", graph 0 to "
        << train_hi + 0.5 << ", graph 1 fc rgb '#efefef' fs solid 1.0 noborder behind\n"
        << "set label 1 "
        << gnuplot_string("trained on " + std::to_string(train_lo) + "-" + std::to_string(train_hi))
        << " at " << train_hi + 0.5 << ", graph 1.025 right textcolor rgb '#555555'\n";
    return;
  }
  int tag = 1;
  for (const auto& [train_lo, train_hi] : trained) {
    if (train_hi <= 0) continue;
    cmd << "set arrow " << tag << " from " << train_hi + 0.5 << ", graph 0 to " << train_hi + 0.5
        << ", graph 1 nohead dt 2 lw 1.5 lc rgb '#777777' back\n"
        << "set label " << tag << " "
        << gnuplot_string("trained on " + std::to_string(train_lo) + "-" + std::to_string(train_hi))
        << " at " << train_hi + 0.5 << ", graph " << 1.025 + 0.045 * (tag - 1)
        << " right textcolor rgb '#555555'\n";
    ++tag;
  }
}

// A score drawn against length: exact match, BLEU or the alignment error rate.
struct LengthMetric {
  std::string figure, title, axis;  // the file name, its title, the y axis
  bool per_example = true;          // its intervals take the test examples' sampling into account
  // One run's evidence at a length bucket; nothing where not measured.
  std::optional<SeedEvidence> (*evidence)(const store::LengthEval& e);
  std::string caption;  // what is drawn, the start of the figure's caption
};

std::optional<SeedEvidence> exact_match(const store::LengthEval& e) {
  if (e.n <= 0) return std::nullopt;
  return single(e.outcomes, e.sequence_accuracy);
}

std::optional<SeedEvidence> alignment_error(const store::LengthEval& e) {
  if (e.n <= 0 || std::isnan(e.aer)) return std::nullopt;
  return single("", e.aer);
}

// BLEU in [0, 1] like the other scores; NaN (no reference 4-gram) is unmeasured.
std::optional<SeedEvidence> bleu(const store::LengthEval& e) {
  if (e.n <= 0 || std::isnan(e.bleu)) return std::nullopt;
  return single("", e.bleu / 100);
}

// The by-length figures, in the order a report draws them.
const LengthMetric kLengthMetrics[] = {
    {"accuracy_by_length", "Exact match by input length", "exact match (%)", true, exact_match,
     "Exact match of free-running decoding (greedy unless the runs set decode.beam_size)"},
    {"bleu_by_length", "BLEU by input length", "BLEU", false, bleu,
     "Corpus BLEU of free-running decoding over each length's test examples, as Bahdanau et "
     "al. (2015, Fig. 2) draw it (computed as sacreBLEU does, on the task's tokens; lengths "
     "whose references hold no 4-gram have no BLEU and are left out)"},
    {"alignment_error_by_length", "Alignment error rate by input length",
     "alignment error rate (%)", false, alignment_error,
     "Alignment error rate of the attention against the task's gold alignment (lower is "
     "better; the reference force-decoded, each output token linked to the source position of "
     "its strongest weight, Luong et al. 2015, section 5.4)"}};

// What one panel of a by-length figure shows: its runs (those of the
// facet's value `panel`, or all), the line labels and the metric.
struct AccuracyPanel {
  std::vector<const StudyRun*> runs;
  std::vector<std::string> keys;  // what tells lines apart
  const std::vector<std::string>* lines = nullptr;
  const LengthMetric* metric = nullptr;
};

// The panel's plot elements (bands first, behind the lines); its data go
// into `plot` as datablocks named p<panel>l<line>.
std::vector<std::string> accuracy_series(const AccuracyPanel& panel, size_t p, Plot* plot) {
  std::vector<std::string> bands, curves;
  const auto& lines = *panel.lines;
  for (size_t l = 0; l < lines.size(); ++l) {
    std::map<int, std::vector<SeedEvidence>> by_length;
    for (const auto* run : panel.runs) {
      if (label_over(*run, panel.keys) != lines[l]) continue;
      for (const auto& e : run->result.evals)
        if (const auto evidence = panel.metric->evidence(e))
          by_length[e.length].push_back(*evidence);
    }
    if (by_length.empty()) continue;
    std::string rows_text;
    for (const auto& [length, seeds] : by_length) {
      const auto i = accuracy_interval(seeds);
      rows_text += std::to_string(length) + " " + fixed(100 * i.estimate, 3) + " " +
                   fixed(100 * i.lo, 3) + " " + fixed(100 * i.hi, 3) + "\n";
    }
    const std::string name = "p" + std::to_string(p) + "l" + std::to_string(l);
    plot->data += datablock(name, rows_text);
    bands.push_back("$" + name + " using 1:3:4 with filledcurves fc rgb '" + series_colour(l) +
                    "' fs transparent solid 0.18 noborder notitle");
    curves.push_back("$" + name + " using 1:2 with linespoints " + series_style(l) +
                     " lw 2 ps 0.9 title " + gnuplot_string(lines[l]));
  }
  bands.insert(bands.end(), curves.begin(), curves.end());
  return bands;
}

// Lengths lo to hi along x (a tic every `step`), a percentage along y.
void accuracy_axes(std::ostringstream& cmd, const Study& study, int lo, int hi, int step,
                   const std::string& axis) {
  cmd << "set xrange [" << lo - 0.5 << ":" << hi + 0.5 << "]\nset yrange [-2:102]\n"
      << "set xtics " << (lo % step == 0 ? lo : lo - lo % step + step) << "," << step
      << " nomirror out\nset ytics 0,20,100 nomirror out\nset border 3\n"
      << "set grid ytics lc rgb '#e0e0e0' lw 1 dt 1\n"
      << "set xlabel " << gnuplot_string("input length (" + study.length_unit + ")") << "\n"
      << "set ylabel " << gnuplot_string(axis) << "\n";
}

// One panel (or up to three across, else two across), the legend below.
PanelLayout accuracy_layout(size_t panels, bool titled, const KeyEntries& key) {
  PanelLayout layout;
  layout.across = panels <= 3 ? static_cast<int>(panels) : 2;
  layout.down = (static_cast<int>(panels) + layout.across - 1) / layout.across;
  if (panels > 1) {
    layout.slot_width = 560;
    layout.slot_height = 430;
  }
  if (titled) layout.top = 56;
  fit_key(&layout, key);
  return layout;
}

// What the band of a by-length figure is, for its caption.
std::string band_text(const Study& study, const LengthMetric& metric) {
  if (metric.per_example) return "; the band is the " + interval_text(study);
  return study.seeds.size() > 1 ? "; the band is the 95 % Student-t interval over the seeds"
                                : " (one seed: no interval)";
}

// `metric` against input length; nothing where no run measured it.
std::optional<Figure> by_length(const Study& study, const fs::path& dir,
                                const LengthMetric& metric) {
  const auto keys = line_keys(study);
  const std::string& facet = study.spec.facets;
  std::vector<const StudyRun*> runs;  // those that measured it
  std::vector<std::string> panels, lines;
  int lo = INT_MAX, hi = INT_MIN;
  for (const auto* run : finished_runs(study)) {
    bool measured = false;
    for (const auto& e : run->result.evals) {
      if (!metric.evidence(e)) continue;
      lo = std::min(lo, e.length);
      hi = std::max(hi, e.length);
      measured = true;
    }
    if (!measured) continue;
    runs.push_back(run);
    add_unique(&panels, facet.empty() ? "" : run->value(facet));
    add_unique(&lines, label_over(*run, keys));
  }
  if (runs.empty()) return std::nullopt;

  KeyEntries key;
  for (size_t l = 0; l < lines.size(); ++l)
    key.emplace_back("linespoints " + series_style(l) + " lw 2 ps 0.9", lines[l]);
  const PanelLayout layout = accuracy_layout(panels.size(), !facet.empty(), key);
  Plot plot;
  plot.width = layout.width();
  plot.height = layout.height();
  const int span = hi - lo + 1;
  const int step = std::max(1, static_cast<int>(std::ceil(span / (layout.slot_width / 40.0))));
  std::ostringstream cmd;
  cmd << "set multiplot\nunset key\n";
  accuracy_axes(cmd, study, lo, hi, step, metric.axis);
  for (size_t p = 0; p < panels.size(); ++p) {
    cmd << "unset object\nunset label\nunset arrow\n" << panel_margins(layout, p);
    if (!facet.empty())
      cmd << "set title " << gnuplot_string(short_name(facet) + " = " + panels[p]) << "\n";
    AccuracyPanel panel{{}, keys, &lines, &metric};
    std::set<std::pair<int, int>> trained;
    for (const auto* run : runs) {
      if (!facet.empty() && run->value(facet) != panels[p]) continue;
      panel.runs.push_back(run);
      trained.emplace(run->result.train_lengths[0], run->result.train_lengths[1]);
    }
    training_marks(cmd, trained, lo);
    cmd << plot_command(accuracy_series(panel, p, &plot));
  }
  cmd << key_strip(layout, key);
  plot.commands = cmd.str();
  return drawn(plot, dir,
               {metric.figure, metric.title,
                metric.caption + " at each input length, one line per " +
                    (keys.empty() ? std::string("setting") : short_name(keys.front())) +
                    (facet.empty() ? "" : ", one panel per " + short_name(facet)) +
                    ". Lines are the mean over " + seeds_text(study.seeds.size()) +
                    band_text(study, metric) +
                    ". The shaded region (or dashed line) marks the lengths seen in training; "
                    "examples of every length are held out of training."});
}

// --- alignments --------------------------------------------------------------

// The runs of the first seed whose runs kept examples with attention
// weights (at most kMostAlignmentPanels).
std::vector<const StudyRun*> runs_with_weights(const Study& study) {
  std::vector<const StudyRun*> runs;
  for (const auto& seed : study.seeds) {
    for (const auto* run : finished_runs(study)) {
      if (run->seed != seed) continue;
      if (std::any_of(run->examples.begin(), run->examples.end(),
                      [](const store::DecodedExample& e) { return !e.weights.empty(); })) {
        runs.push_back(run);
      }
    }
    if (!runs.empty()) break;
  }
  if (runs.size() > kMostAlignmentPanels) runs.resize(kMostAlignmentPanels);
  return runs;
}

// The geometry of attention panels, in pixels: every panel draws its cells
// at one size over the same rows and columns (the most any panel has), so
// panels compare at a glance, and each panel's slot leaves room for its
// tick labels at a size that stays legible at any length.
struct PanelGrid {
  size_t rows = 1, columns = 1;  // of cells, the most over the panels
  int cell = 0;                  // a cell's side
  int font = 0;                  // the tick labels' size in points
  int left = 0, top = 44, bottom = 0, right = 16;
  size_t across = 1, down = 1;  // panels per row of the figure, rows of panels
  int slot_width() const { return left + cell * static_cast<int>(columns) + right; }
  int slot_height() const { return top + cell * static_cast<int>(rows) + bottom; }
};

PanelGrid panel_grid(const AttentionPanels& panels) {
  PanelGrid g;
  size_t longest_source = 1, longest_output = 1;
  for (const auto& [title, e] : panels) {
    g.rows = std::max(g.rows, e->output_tokens.size());
    g.columns = std::max(g.columns, e->source_tokens.size());
    for (const auto& t : e->source_tokens)
      longest_source = std::max(longest_source, t.size());
    for (const auto& t : e->output_tokens)
      longest_output = std::max(longest_output, t.size());
  }
  g.cell = static_cast<int>(std::clamp<size_t>(480 / std::max(g.rows, g.columns), 16, 30));
  g.font = std::clamp(g.cell / 2, 8, 11);
  const int glyph = g.font * 96 / 72 * 6 / 10 + 1;  // a character's width
  g.left = static_cast<int>(longest_output) * glyph + 24;
  g.bottom = longest_source > 2 ? static_cast<int>(longest_source) * glyph + 20 : 28;
  g.across = std::clamp<size_t>(1400 / g.slot_width(), 1, 4);
  g.across = std::min(g.across, panels.size());
  g.down = (panels.size() + g.across - 1) / g.across;
  return g;
}

// One heatmap per panel (its title, its example), each over its own source
// tokens, all of one size (PanelGrid).
Plot alignment_plot(const AttentionPanels& panels) {
  const PanelGrid g = panel_grid(panels);
  Plot plot;
  plot.width = static_cast<int>(g.across) * g.slot_width();
  plot.height = static_cast<int>(g.down) * g.slot_height();
  const auto at_x = [&](int px) { return fixed(static_cast<double>(px) / plot.width, 5); };
  const auto at_y = [&](int px) { return fixed(1 - static_cast<double>(px) / plot.height, 5); };
  std::ostringstream cmd;
  cmd << "set multiplot\nset palette gray negative\nset cbrange [0:1]\nunset colorbox\n"
      << "unset key\nset tics scale 0 font '," << g.font << "'\nset border lw 0.5\n"
      << "set xrange [-0.5:" << g.columns - 0.5 << "]\nset yrange [" << g.rows - 0.5 << ":-0.5]\n";
  for (size_t p = 0; p < panels.size(); ++p) {
    const auto& [title, e] = panels[p];
    const size_t output = e->output_tokens.size();
    const size_t columns = e->source_tokens.size();
    const int x = static_cast<int>(p % g.across) * g.slot_width() + g.left;
    const int y = static_cast<int>(p / g.across) * g.slot_height() + g.top;
    cmd << "set lmargin at screen " << at_x(x) << "\nset rmargin at screen "
        << at_x(x + g.cell * static_cast<int>(g.columns)) << "\nset tmargin at screen " << at_y(y)
        << "\nset bmargin at screen " << at_y(y + g.cell * static_cast<int>(g.rows)) << "\n"
        << "set xtics " << tic_labels(e->source_tokens)
        << (g.bottom > 28 ? " rotate by 90 right" : "") << "\n";
    std::string matrix;
    for (size_t r = 0; r < output; ++r) {
      for (size_t c = 0; c < columns; ++c)
        matrix += (c ? " " : "") + fixed(e->weights[r * columns + c], 4);
      matrix += "\n";
    }
    const std::string name = "a" + std::to_string(p);
    plot.data += datablock(name, matrix);
    cmd << "set title " << gnuplot_string(title) << "\nset ytics " << tic_labels(e->output_tokens)
        << "\nplot $" << name << " matrix with image pixels\n";
  }
  plot.commands = cmd.str();
  return plot;
}

std::vector<Figure> alignments(const Study& study, const fs::path& dir) {
  const auto runs = runs_with_weights(study);
  std::set<int> lengths;
  for (const auto* run : runs)
    for (const auto& e : run->examples)
      if (!e.weights.empty()) lengths.insert(e.length);

  const auto finished = finished_runs(study);
  const bool unweighted = std::any_of(finished.begin(), finished.end(), [](const StudyRun* run) {
    return std::any_of(run->examples.begin(), run->examples.end(),
                       [](const store::DecodedExample& e) { return e.weights.empty(); });
  });
  std::vector<Figure> figures;
  for (const int length : lengths) {
    // The first example of this length, in every run that decoded the same source.
    AttentionPanels panels;
    std::string seed;
    std::vector<std::string> wrong;
    for (const auto* run : runs) {
      for (const auto& e : run->examples) {
        if (e.length != length || e.weights.empty()) continue;
        if (panels.empty() || panels.front().second->source == e.source) {
          const bool right = e.prediction == e.reference;
          panels.emplace_back(run->setting + (right ? "" : " (wrong)"), &e);
          if (!right) wrong.push_back(run->setting + ": " + e.prediction);
          if (seed.empty()) seed = run->seed;
        }
        break;
      }
    }
    if (panels.empty()) continue;
    const auto& example = *panels.front().second;
    figures.push_back(
        drawn(alignment_plot(panels), dir,
              {"alignment_L" + std::to_string(length),
               "Attention on an example of length " + std::to_string(length),
               "Attention weights while decoding one held-out example of length " +
                   std::to_string(length) + " (seed " + seed +
                   "): source tokens along x, the tokens each model produced along y (up to its "
                   "<eos>); white is 0, black is 1, and each row sums to 1. Source: " +
                   example.source + "; reference: " + example.reference + "." +
                   (wrong.empty() ? " Every model shown decoded it exactly."
                                  : " Wrong outputs: " + base::join(wrong, "; ") + ".") +
                   (unweighted ? " Settings without attention weights (no attention) are not shown."
                               : "")}));
  }
  return figures;
}

// --- learning curves ---------------------------------------------------------

// The training loss and dev exact match of every setting.
// setting -> metric -> step -> values over seeds
using CurveValues =
    std::map<std::string, std::map<std::string, std::map<int, std::vector<double>>>>;

struct Curves {
  CurveValues values;
  bool evaluated = false;  // some run has a dev curve
  bool on_test = false;    // runs stored before the dev split drew their curve on test examples
};

Curves curves_of(const Study& study) {
  Curves curves;
  for (const auto* run : finished_runs(study)) {
    const bool has_dev =
        std::any_of(run->metrics.begin(), run->metrics.end(),
                    [](const store::MetricPoint& m) { return m.name == store::metric::kDevExact; });
    for (const auto& m : run->metrics) {
      const bool curve =
          m.name == store::metric::kDevExact || (!has_dev && m.name == store::metric::kEvalExact);
      if (m.name != store::metric::kTrainLoss && !curve) continue;
      curves.values[run->setting][curve ? store::metric::kDevExact : m.name][m.step].push_back(
          m.value);
      curves.evaluated = curves.evaluated || curve;
      curves.on_test = curves.on_test || (curve && !has_dev);
    }
  }
  return curves;
}

// The plot elements of one metric's curves, a line per setting (the mean
// over its seeds, times `scale`); their data go into `plot`.
std::vector<std::string> curve_series(const Study& study, const CurveValues& curves,
                                      const std::string& metric, double scale, Plot* plot) {
  std::vector<std::string> parts;
  for (size_t s = 0; s < study.settings.size(); ++s) {
    const auto found = curves.find(study.settings[s]);
    if (found == curves.end() || found->second.count(metric) == 0) continue;
    std::string rows;
    const auto& points = found->second.at(metric);
    for (const auto& [step, values] : points) {
      double sum = 0;
      for (const double v : values)
        sum += v;
      rows += std::to_string(step) + " " + fixed(scale * sum / values.size(), 6) + "\n";
    }
    const std::string name = metric + std::to_string(s);
    plot->data += datablock(name, rows);
    // A mark on about every tenth point, so that a curve of few points shows.
    parts.push_back("$" + name + " using 1:2 with linespoints " + series_style(s) +
                    " lw 2 ps 0.8 pi " + std::to_string(std::max<size_t>(1, points.size() / 10)) +
                    " title " + gnuplot_string(study.settings[s]));
  }
  return parts;
}

std::optional<Figure> learning_curves(const Study& study, const fs::path& dir) {
  const Curves found_curves = curves_of(study);
  const auto& curves = found_curves.values;
  const bool evaluated = found_curves.evaluated, on_test = found_curves.on_test;
  if (curves.empty()) return std::nullopt;
  PanelLayout layout;
  layout.across = evaluated ? 2 : 1;
  layout.slot_width = evaluated ? 600 : 800;
  layout.slot_height = 460;
  KeyEntries key;
  for (size_t s = 0; s < study.settings.size(); ++s) {
    if (curves.count(study.settings[s]))
      key.emplace_back("linespoints " + series_style(s) + " lw 2 ps 0.8", study.settings[s]);
  }
  fit_key(&layout, key);
  Plot plot;
  plot.width = layout.width();
  plot.height = layout.height();
  std::ostringstream cmd;
  cmd << "set multiplot\nset border 3\nset xtics nomirror out\nset ytics nomirror out\n"
      << "set grid ytics lc rgb '#e0e0e0' lw 1 dt 1\nset xlabel 'training step'\n"
      << "set xrange [0:*]\n";
  const auto panel = [&](const std::string& metric, double scale) {
    cmd << plot_command(curve_series(study, curves, metric, scale, &plot));
  };
  cmd << panel_margins(layout, 0)
      << "unset key\nset title 'training loss'\nset logscale y\nset format y '%g'\n"
      << "set ylabel 'cross-entropy per token (log scale)'\n";
  panel(store::metric::kTrainLoss, 1);
  if (evaluated) {
    cmd << panel_margins(layout, 1)
        << "unset logscale y\nset title 'dev exact match'\nset yrange [-2:102]\n"
        << "set ytics 0,20,100\nset ylabel 'exact match (%)'\n";
    panel(store::metric::kDevExact, 100);
  }
  cmd << key_strip(layout, key);
  plot.commands = cmd.str();
  return drawn(
      plot, dir,
      {"learning_curves", "Learning curves",
       "Left: training loss (mean over each logging window) against optimiser steps. " +
           std::string(evaluated ? "Right: exact match of greedy decoding on a fixed sample of "
                                   "dev examples of the training lengths (train.eval_every), "
                                   "the sample that chooses the weights under "
                                   "train.select=best_dev. "
                                 : "") +
           (on_test ? "Runs stored before attnlab had a dev split drew this curve on test "
                      "examples. "
                    : "") +
           "One line per setting, the mean over its " + seeds_text(study.seeds.size()) + "."});
}

// --- summary grids -------------------------------------------------------------

struct Grid {
  std::string name;
  std::string row_title;
  std::string column_title;
  std::vector<std::string> rows;
  std::vector<std::string> columns;
  std::map<std::pair<size_t, size_t>, double> cells;  // mean exact match, 0..1
};

Figure draw_grid(const Grid& grid, const std::string& caption, const fs::path& dir) {
  Plot plot;
  size_t widest = 4;
  for (const auto& r : grid.rows)
    widest = std::max(widest, r.size());
  size_t widest_column = 4;
  for (const auto& c : grid.columns)
    widest_column = std::max(widest_column, c.size());
  plot.width = static_cast<int>(std::max<size_t>(
      560, 8 * widest + 190 + std::max<size_t>(100, 10 * widest_column) * grid.columns.size()));
  plot.height = static_cast<int>(std::max<size_t>(320, 140 + 48 * grid.rows.size()));
  std::string rows;
  for (const auto& [at, value] : grid.cells) {
    rows += std::to_string(at.second) + " " + std::to_string(at.first) + " " +
            fixed(100 * value, 3) + " " + fixed(100 * value, 1) + " " +
            (value > 0.55 ? "16777215" : "0") + "\n";
  }
  plot.data = datablock("g", rows);
  std::ostringstream cmd;
  cmd << "set palette defined (0 '#f7fbff', 25 '#c6dbef', 50 '#6baed6', 75 '#2171b5', "
         "100 '#08306b')\nset cbrange [0:100]\nset cblabel 'exact match (%)'\n"
      << "set cbtics 0,20,100\nunset key\nset tics scale 0\n"
      << "set xtics " << tic_labels(grid.columns) << "\n"
      << "set ytics " << tic_labels(grid.rows) << "\n"
      << "set xrange [-0.5:" << grid.columns.size() - 0.5 << "]\n"
      << "set yrange [" << grid.rows.size() - 0.5 << ":-0.5]\n"
      << "set xlabel " << gnuplot_string(grid.column_title) << "\nset ylabel "
      << gnuplot_string(grid.row_title) << "\n"
      << "plot $g using 1:2:3 with image pixels, $g using 1:2:4:5 with labels tc rgb variable font "
         "',12'\n";
  plot.commands = cmd.str();
  return drawn(plot, dir,
               {grid.name, "Summary: " + grid.row_title + " x " + grid.column_title, caption});
}

// The grid of swept settings i (rows) and j (columns): the mean headline
// exact match over seeds and the other swept settings.
Figure pair_grid(const Study& study, const std::vector<const StudyRun*>& runs, size_t i, size_t j,
                 const fs::path& dir) {
  const LengthSelection& headline = study.spec.headline;
  Grid grid;
  grid.name = "grid_" + short_name(study.swept[i]) + "_" + short_name(study.swept[j]);
  grid.row_title = short_name(study.swept[i]);
  grid.column_title = short_name(study.swept[j]);
  std::map<std::pair<size_t, size_t>, std::vector<double>> values;
  for (const auto* run : runs) {
    add_unique(&grid.rows, run->value(study.swept[i]));
    add_unique(&grid.columns, run->value(study.swept[j]));
    const Headline h = headline_of(*run, headline);
    if (h.examples == 0) continue;
    values[{index_of(grid.rows, run->value(study.swept[i])),
            index_of(grid.columns, run->value(study.swept[j]))}]
        .push_back(h.value);
  }
  for (const auto& [at, v] : values) {
    double sum = 0;
    for (const double x : v)
      sum += x;
    grid.cells[at] = sum / v.size();
  }
  return draw_grid(grid,
                   "Exact match on " + lengths_text(headline) + " for each " + grid.row_title +
                       " and " + grid.column_title + ", the mean over seeds" +
                       (study.swept.size() > 2 ? " and the other swept settings" : "") +
                       "; an empty cell has no finished run.",
                   dir);
}

std::vector<Figure> summary_grids(const Study& study, const fs::path& dir) {
  const auto runs = finished_runs(study);
  if (runs.empty()) return {};
  const LengthSelection& headline = study.spec.headline;
  std::vector<Figure> figures;
  if (study.swept.size() >= 2) {
    for (size_t i = 0; i < study.swept.size(); ++i) {
      for (size_t j = i + 1; j < study.swept.size(); ++j)
        figures.push_back(pair_grid(study, runs, i, j, dir));
    }
    return figures;
  }
  // One swept setting: settings against ranges of lengths.
  std::vector<std::pair<std::string, LengthSelection>> ranges = {
      {"train", LengthSelection{LengthSelection::Kind::kTrain, 0, 0}}};
  if (headline.kind != LengthSelection::Kind::kTrain &&
      headline.kind != LengthSelection::Kind::kAll) {
    ranges.emplace_back(lengths_label(headline), headline);
  }
  const LengthSelection beyond{LengthSelection::Kind::kBeyond, 0, 0};
  if (std::any_of(runs.begin(), runs.end(),
                  [&](const StudyRun* r) { return headline_of(*r, beyond).examples > 0; })) {
    ranges.emplace_back("beyond", beyond);
  }
  ranges.emplace_back("all", LengthSelection{});
  Grid grid;
  grid.name = "grid_lengths";
  grid.row_title = study.swept.empty() ? "setting" : short_name(study.swept.front());
  grid.column_title = "input lengths";
  grid.rows = study.settings;
  for (size_t c = 0; c < ranges.size(); ++c) {
    grid.columns.push_back(ranges[c].first);
    for (const auto& h : headlines(study, ranges[c].second))
      grid.cells[{index_of(grid.rows, h.setting), c}] = h.value.estimate;
  }
  figures.push_back(draw_grid(grid,
                              "Exact match of each setting over ranges of input lengths "
                              "(train: the lengths it was trained on; beyond: longer ones), "
                              "the mean over " +
                                  seeds_text(study.seeds.size()) +
                                  " of the exact match over every evaluated example in the range.",
                              dir));
  return figures;
}

// --- comparisons ---------------------------------------------------------------

std::optional<Figure> comparisons(const Study& study, const std::vector<Comparison>& pairs,
                                  const fs::path& dir) {
  if (pairs.empty()) return std::nullopt;
  Plot plot;
  plot.width = 960;
  plot.height = static_cast<int>(130 + 24 * pairs.size());
  std::string rows;
  std::vector<std::string> labels;
  double widest = 1;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& d = pairs[i].difference;
    rows += std::to_string(i) + " " + fixed(100 * d.estimate, 3) + " " + fixed(100 * d.lo, 3) +
            " " + fixed(100 * d.hi, 3) + " " + (pairs[i].clear() ? "0" : "10066329") + "\n";
    labels.push_back(pairs[i].a + "  \u2212  " + pairs[i].b);
    widest = std::max({widest, std::fabs(100 * d.lo), std::fabs(100 * d.hi)});
  }
  const double reach = std::min(100.0, std::ceil(widest / 10) * 10 + 5);
  plot.data = datablock("c", rows);
  std::ostringstream cmd;
  cmd << "unset key\nset border 1\nset xtics nomirror out\nset ytics nomirror scale 0\n"
      << "set ytics " << tic_labels(labels) << "\n"
      << "set yrange [" << pairs.size() - 0.5 << ":-0.5]\n"
      << "set xrange [" << -reach << ":" << reach << "]\n"
      << "set grid xtics lc rgb '#e0e0e0' lw 1 dt 1\n"
      << "set xlabel "
      << gnuplot_string("difference in exact match on " + lengths_text(study.spec.headline) +
                        " (percentage points)")
      << "\nset arrow 1 from 0, graph 0 to 0, graph 1 nohead lc rgb '#555555' lw 1.5 back\n"
      << "plot $c using 2:1:3:4:5 with xerrorbars pt 7 ps 1.1 lw 1.5 lc rgb variable\n";
  plot.commands = cmd.str();
  return drawn(
      plot, dir,
      {"comparisons", "Paired comparisons",
       "For each pair of settings A \u2212 B, the difference in exact match on " +
           lengths_text(study.spec.headline) + " (A the better one), with its " +
           interval_text(study) +
           "; pairs are the same seed and the same examples under both settings. " +
           std::to_string(pairs.size()) + (pairs.size() == 1 ? " comparison" : " comparisons") +
           " are drawn; the intervals are not adjusted for their number, the colours are: "
           "black, the difference holds after Holm's adjustment for all of them (family-wise "
           "5 %); grey, it does not."});
}

}  // namespace

void draw_attention(const AttentionPanels& panels, const fs::path& file) {
  std::string format = file.extension().string();
  if (!format.empty()) format.erase(0, 1);
  render(alignment_plot(panels), fs::path(file).replace_extension(), {format}, Script::kRemove);
}

std::vector<Figure> draw_figures(const Study& study, const std::vector<Comparison>& pairs,
                                 const fs::path& dir) {
  const ReportSpec& spec = study.spec;
  std::vector<Figure> figures;
  for (const auto& metric : kLengthMetrics) {
    if (!spec.draws(metric.figure)) continue;
    if (auto f = by_length(study, dir, metric)) figures.push_back(*f);
  }
  if (spec.draws("summary_grid")) {
    for (auto& f : summary_grids(study, dir))
      figures.push_back(f);
  }
  if (spec.draws("comparisons")) {
    if (auto f = comparisons(study, pairs, dir)) figures.push_back(*f);
  }
  if (spec.draws("learning_curves")) {
    if (auto f = learning_curves(study, dir)) figures.push_back(*f);
  }
  if (spec.draws("alignments")) {
    for (auto& f : alignments(study, dir))
      figures.push_back(f);
  }
  return figures;
}

}  // namespace attnlab::report
