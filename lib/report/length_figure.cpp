// gnuplot receives the data inline ('-'), so no temporary files are left
// behind, and errors are caught by checking that both outputs exist.
#include "report/length_figure.h"

#include <gnuplot-iostream.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace attnlab::report {
namespace fs = std::filesystem;
namespace {

std::string label_for(const store::RunRecord& run, bool vary_hidden, bool vary_train,
                      bool vary_seed) {
  std::string label = run.run.attention;
  if (vary_hidden) label += " H=" + std::to_string(run.run.hidden_size);
  if (vary_train) label += " train<=" + std::to_string(run.run.train_max_length);
  if (vary_seed) label += " seed=" + std::to_string(run.run.seed);
  return label;
}

std::vector<store::RunRecord> finished_runs(store::RunStore& store, const std::string& sweep_id) {
  std::vector<store::RunRecord> runs;
  for (auto& run : store.sweep_runs(sweep_id)) {
    if (run.status == "finished") runs.push_back(run);
  }
  return runs;
}

std::vector<std::string> labels_for(const std::vector<store::RunRecord>& runs) {
  std::set<int> hidden, train;
  std::set<std::uint64_t> seeds;
  for (const auto& r : runs) {
    hidden.insert(r.run.hidden_size);
    train.insert(r.run.train_max_length);
    seeds.insert(r.run.seed);
  }
  std::vector<std::string> labels;
  for (const auto& r : runs) {
    labels.push_back(label_for(r, hidden.size() > 1, train.size() > 1, seeds.size() > 1));
  }
  return labels;
}

std::string gnuplot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string percent(double x) {
  if (x < 0) return "-";
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << 100.0 * x;
  return out.str();
}

}  // namespace

LengthFigure sweep_figure(store::RunStore& store, const std::string& sweep_id) {
  const auto runs = finished_runs(store, sweep_id);
  const auto labels = labels_for(runs);
  LengthFigure figure;
  figure.title = "Exact-match accuracy by source length (" + sweep_id + ")";
  for (size_t i = 0; i < runs.size(); ++i) {
    figure.series.push_back({labels[i], store.evals(runs[i].run_id)});
    figure.train_lengths = {runs[i].run.train_min_length, runs[i].run.train_max_length};
  }
  return figure;
}

std::vector<SummaryRow> sweep_summary(store::RunStore& store, const std::string& sweep_id) {
  const auto runs = finished_runs(store, sweep_id);
  const auto labels = labels_for(runs);
  std::vector<SummaryRow> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    SummaryRow row;
    row.run_id = runs[i].run_id;
    row.label = labels[i];
    row.wall_seconds = runs[i].wall_seconds;
    // Weighted by each length's examples, so that a corpus's rare lengths
    // (a handful of 20-letter words) count as much as they occur.
    double train_sum = 0, beyond_sum = 0;
    int train_n = 0, beyond_n = 0;
    for (const auto& e : store.evals(runs[i].run_id)) {
      if (e.length >= runs[i].run.train_min_length && e.length <= runs[i].run.train_max_length) {
        train_sum += e.n * e.sequence_accuracy;
        train_n += e.n;
      }
      if (e.length == runs[i].run.train_max_length) row.longest_accuracy = e.sequence_accuracy;
      if (e.length > runs[i].run.train_max_length) {
        beyond_sum += e.n * e.sequence_accuracy;
        beyond_n += e.n;
      }
    }
    row.train_accuracy = train_n > 0 ? train_sum / train_n : 0;
    row.beyond_accuracy = beyond_n > 0 ? beyond_sum / beyond_n : -1;
    rows.push_back(row);
  }
  return rows;
}

void write_length_figure(const LengthFigure& figure, const fs::path& stem) {
  if (figure.series.empty()) throw std::runtime_error("no finished runs to plot");
  fs::create_directories(stem.parent_path().empty() ? fs::path(".") : stem.parent_path());
  const fs::path png = stem.string() + ".png";
  const fs::path svg = stem.string() + ".svg";
  fs::remove(png);
  fs::remove(svg);
  {
    Gnuplot gp("gnuplot");
    for (const auto& [terminal, file] :
         {std::pair<std::string, fs::path>{"pngcairo size 960,600 font 'sans,11'", png},
          {"svg size 960,600 dynamic font 'sans,11'", svg}}) {
      gp << "set terminal " << terminal << "\n";
      gp << "set output " << gnuplot_quote(file.string()) << "\n";
      gp << "set title " << gnuplot_quote(figure.title) << " noenhanced\n";
      gp << "set xlabel 'source length (tokens)'\nset ylabel 'exact-match accuracy'\n";
      gp << "set yrange [0:1.02]\nset grid\nset key outside right top noenhanced\n";
      // Tic labels are format strings: '%%' prints one '%'.
      gp << "set ytics ('0%%' 0, '20%%' 0.2, '40%%' 0.4, '60%%' 0.6, '80%%' 0.8, '100%%' 1)\n";
      int lo =
          figure.series.front().points.empty() ? 0 : figure.series.front().points.front().length;
      int hi = lo;
      for (const auto& s : figure.series) {
        for (const auto& p : s.points) {
          lo = std::min(lo, p.length);
          hi = std::max(hi, p.length);
        }
      }
      gp << "set xrange [" << lo - 0.5 << ":" << hi + 0.5 << "]\n";
      gp << "unset object\n";
      if (figure.train_lengths[1] > 0) {
        gp << "set object 1 rect from " << figure.train_lengths[0] - 0.5 << ", graph 0 to "
           << figure.train_lengths[1] + 0.5
           << ", graph 1 fc rgb '#ececec' fs solid 1.0 noborder behind\n";
        gp << "set label 1 'training lengths' at " << figure.train_lengths[0] - 0.3
           << ", graph 0.04 left textcolor rgb '#777777'\n";
      }
      gp << "plot ";
      for (size_t i = 0; i < figure.series.size(); ++i) {
        gp << (i ? ", " : "") << "'-' using 1:2 with linespoints lw 2 pt 7 ps 0.6 title "
           << gnuplot_quote(figure.series[i].label);
      }
      gp << "\n";
      for (const auto& s : figure.series) {
        std::vector<std::pair<int, double>> xy;
        for (const auto& p : s.points)
          xy.emplace_back(p.length, p.sequence_accuracy);
        gp.send1d(xy);
      }
      gp << "set output\n";
    }
  }  // closing the pipe waits for gnuplot to finish
  for (const auto& file : {png, svg}) {
    if (!fs::exists(file) || fs::file_size(file) == 0) {
      throw std::runtime_error("gnuplot did not write " + file.string() +
                               " (is gnuplot with the cairo terminals installed?)");
    }
  }
}

std::string summary_table(const std::vector<SummaryRow>& rows) {
  std::ostringstream out;
  out << std::left << std::setw(14) << "run" << std::setw(22) << "attention" << std::right
      << std::setw(12) << "train exact" << std::setw(14) << "longest train" << std::setw(14)
      << "beyond train" << std::setw(10) << "time"
      << "\n";
  for (const auto& r : rows) {
    out << std::left << std::setw(14) << r.run_id << std::setw(22) << r.label << std::right
        << std::setw(11) << percent(r.train_accuracy) << "%" << std::setw(13)
        << percent(r.longest_accuracy) << "%" << std::setw(13) << percent(r.beyond_accuracy)
        << (r.beyond_accuracy < 0 ? " " : "%") << std::setw(9) << std::fixed << std::setprecision(0)
        << r.wall_seconds << "s\n";
  }
  return out.str();
}

std::vector<RunResult> sweep_results(store::RunStore& store, const std::string& sweep_id) {
  std::vector<RunResult> results;
  for (const auto& run : store.sweep_runs(sweep_id)) {
    if (run.status != "finished") continue;
    RunResult r;
    r.run_id = run.run_id;
    for (const auto& p : store.params(run.run_id)) {
      std::string text;
      if (const auto* i = std::get_if<std::int64_t>(&p.value)) text = std::to_string(*i);
      if (const auto* d = std::get_if<double>(&p.value)) text = nlohmann::json(*d).dump();
      if (const auto* s = std::get_if<std::string>(&p.value)) text = *s;
      r.params[p.key] = text;
    }
    r.train_lengths = {run.run.train_min_length, run.run.train_max_length};
    r.evals = store.evals(run.run_id);
    r.splits = store.splits(run.run_id);
    results.push_back(std::move(r));
  }
  return results;
}

std::vector<ClaimOutcome> sweep_claims(store::RunStore& store, const std::string& sweep_id) {
  const std::string experiment = store.sweep_experiment(sweep_id);
  if (experiment.empty()) return {};
  const auto claims =
      parse_claims(YAML::Load(experiment)["claims"], "the experiment of sweep " + sweep_id);
  if (claims.empty()) return {};
  return evaluate_claims(claims, sweep_results(store, sweep_id));
}

fs::path write_sweep_report(store::RunStore& store, const std::string& sweep_id,
                            const std::vector<SummaryRow>& summary,
                            const std::vector<ClaimOutcome>& claims, const fs::path& dir) {
  write_length_figure(sweep_figure(store, sweep_id), dir / "accuracy_vs_length");
  const fs::path page = dir / "index.md";
  std::ofstream out(page);
  out << "# Sweep " << sweep_id << "\n\n"
      << "Exact-match accuracy of free-running decoding, by task length. The shaded "
         "band marks the lengths seen in training.\n\n"
      << "![accuracy versus length](accuracy_vs_length.svg)\n\n"
      << "```\n"
      << summary_table(summary) << "```\n\n"
      << "Columns: exact match over the evaluated examples of the training lengths; at the "
         "longest training length; over the examples of the lengths beyond training.\n\n";
  out << "## Whole test and dev sets\n\n"
      << "| run | label | split | n | token acc | exact match | error rate | BLEU |\n"
      << "|---|---|---|---|---|---|---|---|\n";
  for (const auto& row : summary) {
    for (const auto& s : store.splits(row.run_id)) {
      out << "| " << row.run_id << " | " << row.label << " | " << s.split << " | " << s.n << " | "
          << std::fixed << std::setprecision(1) << 100 * s.token_accuracy << " % | "
          << 100 * s.sequence_accuracy << " % | " << 100 * s.error_rate << " % | " << s.bleu
          << " |\n";
    }
  }
  out << "\nError rate: edit distance over reference tokens (phoneme error rate for G2P); BLEU: "
         "sacreBLEU's corpus BLEU (13a, exponential smoothing).\n\n";
  if (!claims.empty()) {
    out << "## Claims\n\nWhat the experiment expects, checked on the runs above (exact match "
           "and error rate as fractions, BLEU 0-100; a setting's value is the mean over its "
           "seeds).\n\n"
        << claims_markdown(claims) << "\n";
  }
  out << "Regenerate with `attnlab report " << sweep_id << "`; the numbers come from the "
      << "view `length_accuracy` in the results database.\n";
  if (!out) throw std::runtime_error("cannot write " + page.string());
  return page;
}

}  // namespace attnlab::report
