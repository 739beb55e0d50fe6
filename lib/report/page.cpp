// The report is built once as a list of blocks (headings, paragraphs,
// tables, figures) and written twice: as HTML and as Markdown.
#include "report/page.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "base/files.h"
#include "base/text.h"
#include "report/plot.h"

namespace attnlab::report {
namespace fs = std::filesystem;
namespace {

using base::fixed;
using base::markdown_cell;

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> numeric;  // per column: right-aligned
};

struct Block {
  enum class Kind { kHeading, kParagraph, kTable, kFigure, kCode } kind;
  std::string text;  // heading, paragraph or code
  Table table;
  Figure figure;
};

using Document = std::vector<Block>;

void heading(Document* doc, const std::string& text) {
  doc->push_back({Block::Kind::kHeading, text, {}, {}});
}
void paragraph(Document* doc, const std::string& text) {
  doc->push_back({Block::Kind::kParagraph, text, {}, {}});
}
void table(Document* doc, Table t) {
  doc->push_back({Block::Kind::kTable, "", std::move(t), {}});
}
void code(Document* doc, const std::string& text) {
  doc->push_back({Block::Kind::kCode, text, {}, {}});
}

std::string percent(double x) {
  return fixed(100 * x, 1);
}

std::string with_interval(const Interval& i) {
  return percent(i.estimate) + " [" + percent(i.lo) + ", " + percent(i.hi) + "]";
}

// --- the numbers ---------------------------------------------------------------

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (const double x : v)
    sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

const store::SplitScores* split_of(const StudyRun& run, const std::string& name) {
  for (const auto& s : run.result.splits)
    if (s.split == name) return &s;
  return nullptr;
}

// The last value of a run's metric, or 0 when it has none.
double metric(const StudyRun& run, const std::string& name) {
  double value = 0;
  for (const auto& m : run.metrics)
    if (m.name == name) value = m.value;
  return value;
}

std::string steps_per_second(const StudyRun& run) {
  const double v = metric(run, store::metric::kStepsPerSecond);
  return v > 0 ? fixed(v, 1) : "";
}

std::string headline_cell(const StudyRun& run, const LengthSelection& lengths) {
  const Headline h = headline_of(run, lengths);
  return h.examples > 0 ? percent(h.value) : "-";
}

Table summary_table(const Study& study) {
  const LengthSelection train{LengthSelection::Kind::kTrain, 0, 0};
  const LengthSelection beyond{LengthSelection::Kind::kBeyond, 0, 0};
  std::map<std::string, SettingHeadline> at_train, at_headline, at_beyond;
  for (const auto& h : headlines(study, train))
    at_train[h.setting] = h;
  for (const auto& h : headlines(study, study.spec.headline))
    at_headline[h.setting] = h;
  for (const auto& h : headlines(study, beyond))
    at_beyond[h.setting] = h;
  Table t;
  t.header = {"setting",  "runs",    "train %", lengths_label(study.spec.headline) + " % [95 % CI]",
              "beyond %", "error %", "BLEU",    "s/run"};
  t.numeric = {false, true, true, true, true, true, true, true};
  for (const auto& setting : study.settings) {
    int runs = 0, finished = 0;
    std::vector<double> errors, bleus, seconds;
    for (const auto& run : study.runs) {
      if (run.setting != setting) continue;
      ++runs;
      if (!run.finished()) continue;
      ++finished;
      seconds.push_back(run.record.wall_seconds);
      if (const auto* test = split_of(run, "test")) {
        errors.push_back(test->error_rate);
        if (!std::isnan(test->bleu)) bleus.push_back(test->bleu);  // NaN: undefined
      }
    }
    const auto cell = [&](const std::map<std::string, SettingHeadline>& m, bool interval) {
      const auto it = m.find(setting);
      if (it == m.end()) return std::string("-");
      return interval ? with_interval(it->second.value) : percent(it->second.value.estimate);
    };
    t.rows.push_back({setting, std::to_string(finished) + "/" + std::to_string(runs),
                      cell(at_train, false), cell(at_headline, true), cell(at_beyond, false),
                      errors.empty() ? "-" : percent(mean(errors)),
                      bleus.empty() ? (errors.empty() ? "-" : "n/a") : fixed(mean(bleus), 1),
                      seconds.empty() ? "-" : fixed(mean(seconds), 0)});
  }
  return t;
}

// A p-value as it reads best: "< 0.001", "0.013".
std::string p_text(double p) {
  return p < 0.001 ? "< 0.001" : fixed(p, 3);
}

Table comparison_table(const std::vector<Comparison>& pairs) {
  Table t;
  t.header = {"A", "B", "seeds", "A - B (points)", "95 % interval", "p", "Holm p", "verdict"};
  t.numeric = {false, false, true, true, true, true, true, false};
  for (const auto& c : pairs) {
    const auto& d = c.difference;
    t.rows.push_back({c.a, c.b, std::to_string(c.seeds), fixed(100 * d.estimate, 1),
                      "[" + fixed(100 * d.lo, 1) + ", " + fixed(100 * d.hi, 1) + "]",
                      p_text(d.p_value), p_text(c.holm_p),
                      c.clear() ? "A better" : "no clear difference"});
  }
  return t;
}

Table claims_table(const std::vector<ClaimOutcome>& claims) {
  Table t;
  t.header = {"claim", "verdict", "numbers"};
  t.numeric = {false, false, false};
  for (const auto& c : claims)
    t.rows.push_back({c.text, to_string(c.verdict), c.detail});
  return t;
}

Table runs_table(const Study& study) {
  Table t;
  t.header = {"run",      "setting",      "seed",
              "status",   "train %",      lengths_label(study.spec.headline) + " %",
              "beyond %", "test exact %", "parameters",
              "steps/s",  "wall s",       "peak MiB",
              "started",  "note"};
  t.numeric = {false, false, true, false, true, true,  true,
               true,  true,  true, true,  true, false, false};
  const LengthSelection train{LengthSelection::Kind::kTrain, 0, 0};
  const LengthSelection beyond{LengthSelection::Kind::kBeyond, 0, 0};
  for (const auto& run : study.runs) {
    const auto& r = run.record;
    const auto* test = split_of(run, "test");
    t.rows.push_back({r.run_id, run.setting, run.seed, store::status_name(r.status),
                      run.finished() ? headline_cell(run, train) : "",
                      run.finished() ? headline_cell(run, study.spec.headline) : "",
                      run.finished() ? headline_cell(run, beyond) : "",
                      test ? percent(test->sequence_accuracy) : "",
                      r.parameters > 0 ? std::to_string(r.parameters) : "", steps_per_second(run),
                      fixed(r.wall_seconds, 0),
                      r.peak_memory_bytes > 0 ? fixed(r.peak_memory_bytes / 1048576.0, 0) : "",
                      r.started_at, r.error});
  }
  return t;
}

Table environment_table(const Study& study) {
  std::vector<std::vector<std::string>> rows;
  std::vector<int> counts;
  for (const auto& run : study.runs) {
    const auto& e = run.record.run.environment;
    std::vector<std::string> row = {e.git_commit.substr(0, 12) + (e.git_dirty ? " (modified)" : ""),
                                    e.attnlab_version,
                                    e.torch_version,
                                    e.blas,
                                    std::to_string(e.threads),
                                    e.cpu,
                                    e.gpu.empty() ? e.device : e.device + " (" + e.gpu + ")",
                                    e.hostname};
    const auto found = std::find(rows.begin(), rows.end(), row);
    if (found == rows.end()) {
      rows.push_back(row);
      counts.push_back(1);
    } else {
      ++counts[static_cast<size_t>(found - rows.begin())];
    }
  }
  Table t;
  t.header = {"runs", "code", "attnlab", "LibTorch", "BLAS", "threads", "CPU", "device", "host"};
  t.numeric = {true, false, false, false, false, true, false, false, false};
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].insert(rows[i].begin(), std::to_string(counts[i]));
    t.rows.push_back(rows[i]);
  }
  return t;
}

// Three significant digits without an exponent: 1234, 12.3, 0.0375.
std::string significant(double v) {
  if (!(v > 0) || !std::isfinite(v)) return fixed(v, 0);
  return fixed(v, std::max(0, 2 - static_cast<int>(std::floor(std::log10(v)))));
}

// Where a run's compute came from: the device with its GPU, or the CPU
// with its threads.
std::string hardware(const store::Environment& e) {
  if (!e.gpu.empty()) return e.device + " (" + e.gpu + ")";
  return e.device + " (" + e.cpu + ", " + std::to_string(e.threads) +
         (e.threads == 1 ? " thread)" : " threads)");
}

// Finished runs by hardware: wall time beside a cost normalised by the
// hardware, the compute the device could have done meanwhile (wall time x
// its measured peak). Empty when every run used the same hardware.
Table cost_table(const Study& study) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<const StudyRun*>> by_hardware;
  for (const auto& run : study.runs) {
    if (!run.finished()) continue;
    const std::string h = hardware(run.record.run.environment);
    if (by_hardware.count(h) == 0) order.push_back(h);
    by_hardware[h].push_back(&run);
  }
  Table t;
  if (order.size() < 2) return t;
  t.header = {"hardware",        "runs",         "s/run", "steps/s",
              "model TFLOP/run", "peak GFLOP/s", "MFU %", "TFLOP at peak/run"};
  t.numeric = {false, true, true, true, true, true, true, true};
  for (const auto& h : order) {
    std::vector<double> wall, speed, flops, peak, mfu, capacity;
    for (const StudyRun* run : by_hardware[h]) {
      const double seconds = run->record.wall_seconds,
                   steps = metric(*run, store::metric::kStepsPerSecond);
      const double per_step = metric(*run, store::metric::kFlopsPerStep),
                   gflops = metric(*run, store::metric::kPeakGflops);
      wall.push_back(seconds);
      if (steps > 0) speed.push_back(steps);
      if (per_step > 0 && run->record.trained_steps > 0)
        flops.push_back(per_step * run->record.trained_steps / 1e12);
      if (gflops > 0) {
        peak.push_back(gflops);
        capacity.push_back(seconds * gflops / 1e3);
        if (per_step > 0 && steps > 0) mfu.push_back(100 * per_step * steps / (gflops * 1e9));
      }
    }
    // digits < 0: three significant digits (the columns span orders of magnitude).
    const auto cell = [](const std::vector<double>& v, int digits) {
      if (v.empty()) return std::string("-");
      return digits < 0 ? significant(mean(v)) : fixed(mean(v), digits);
    };
    t.rows.push_back({h, std::to_string(wall.size()), cell(wall, 1), cell(speed, 1),
                      cell(flops, -1), cell(peak, 0), cell(mfu, -1), cell(capacity, -1)});
  }
  return t;
}

// The sweep in one line, the experiment's question, the summary table and
// the claims.
void overview(const Study& study, Document* doc) {
  const auto& sweep = study.sweep;
  int finished = 0;
  for (const auto& run : study.runs)
    finished += run.finished();
  paragraph(doc, "Sweep " + sweep.sweep_id + ", planned " + sweep.created_at + ": " +
                     std::to_string(sweep.n_jobs) + " jobs, " + std::to_string(finished) +
                     " finished" +
                     (sweep.failed > 0 ? ", " + std::to_string(sweep.failed) + " failed" : "") +
                     (sweep.running > 0 ? ", " + std::to_string(sweep.running) + " running" : "") +
                     "; " + std::to_string(study.seeds.size()) +
                     (study.seeds.size() == 1 ? " seed" : " seeds") + " per setting" +
                     (study.swept.empty() ? "" : "; swept: " + base::join(study.swept)) + ".");
  if (!study.description.empty()) {
    heading(doc, "The question");
    std::istringstream in(study.description);
    std::string line, text;
    while (std::getline(in, line)) {
      if (line.empty()) {
        paragraph(doc, text);
        text.clear();
      } else {
        text += line;
      }
    }
    if (!text.empty()) paragraph(doc, text);
  }
  heading(doc, "Results at a glance");
  table(doc, summary_table(study));
  paragraph(doc,
            "Exact match (%): the share of held-out examples decoded exactly, pooled over the "
            "training lengths (train), the headline lengths (" +
                lengths_text(study.spec.headline) +
                ", with a 95 % Student-t interval over seeds, never narrower than the test "
                "examples allow) and the "
                "lengths beyond training (beyond); each the mean over seeds. runs: finished of "
                "planned. error: edit distance over reference tokens and BLEU: corpus BLEU "
                "(0-100, counted on the task's own tokens; n/a where no reference has four), "
                "both over the whole test set. s/run: wall-clock seconds per run.");
  if (!study.claims.empty()) {
    heading(doc, "Claims");
    paragraph(doc, "What the experiment file expects, checked on the runs below: " +
                       claims_tally(study.claims) + ".");
    table(doc, claims_table(study.claims));
  }
}

void paired_comparisons(const Study& study, const std::vector<Comparison>& pairs, Document* doc) {
  if (pairs.empty()) return;
  heading(doc, "Paired comparisons");
  paragraph(doc, "Differences in exact match on " + lengths_text(study.spec.headline) +
                     ", A the better setting, paired by seed and test example: " +
                     std::to_string(pairs.size()) +
                     (pairs.size() == 1 ? " comparison" : " comparisons") +
                     ". The 95 % intervals and p (paired t-test) are per comparison; "
                     "\"A better\" means the difference holds after Holm's adjustment "
                     "for all of them (Holm p < 0.05, family-wise). With few seeds the "
                     "intervals are wide by design.");
  table(doc, comparison_table(pairs));
}

// The cost table, when the runs trained on more than one kind of hardware.
void cost_by_hardware(const Study& study, Document* doc) {
  const Table cost = cost_table(study);
  if (cost.rows.empty()) return;
  heading(doc, "Cost by hardware");
  table(doc, cost);
  paragraph(doc,
            "Finished runs, by the hardware they trained on; each column the mean over "
            "runs. s/run: wall-clock seconds, evaluations included. model TFLOP/run: the "
            "matrix products of training (a multiply-add is 2), steps x the run's FLOPs per "
            "step. peak: the device's torch::mm rate measured with the run's threads and "
            "precision (attnlab bench gemm). MFU: model FLOP/s over that peak. TFLOP at "
            "peak/run: wall seconds x peak, the compute the hardware could have done while "
            "the run held it: a cost that compares devices of different size. A run that "
            "shared its device with others (several GPU jobs of one sweep at once) is "
            "charged the whole device.");
}

Document build(const Study& study, const std::vector<Figure>& figures,
               const std::vector<Comparison>& pairs) {
  const auto& sweep = study.sweep;
  Document doc;
  overview(study, &doc);
  heading(&doc, "Figures");
  for (const auto& f : figures)
    doc.push_back({Block::Kind::kFigure, "", {}, f});
  paired_comparisons(study, pairs, &doc);
  heading(&doc, "Runs");
  table(&doc, runs_table(study));
  heading(&doc, "Environment");
  table(&doc, environment_table(study));
  cost_by_hardware(study, &doc);
  heading(&doc, "Regenerate");
  code(&doc, "attnlab report " + sweep.sweep_id +
                 "                      # these figures and pages, from the database\n"
                 "attnlab sweep --resume " +
                 sweep.sweep_id +
                 "               # run what is missing\n"
                 "attnlab reproduce RUN_ID                     # retrain a run, compare every "
                 "number\n"
                 "attnlab query \"SELECT * FROM length_accuracy WHERE sweep_id = '" +
                 sweep.sweep_id + "'\"");
  return doc;
}

// --- HTML ------------------------------------------------------------------------

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"css(
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a;
       margin: 0; background: #fafafa; line-height: 1.45; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 64px; background: #ffffff; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; margin-top: 1.8em; border-bottom: 1px solid #dddddd; }
h3 { font-size: 1.05em; margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.88em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e6e6; vertical-align: top; }
th { text-align: left; background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.pass { color: #116611; font-weight: bold; } td.fail { color: #aa1111; font-weight: bold; }
td.inconclusive { color: #8a6d00; font-weight: bold; }
figure { margin: 1.2em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eeeeee; }
figcaption { font-size: 0.9em; color: #333333; max-width: 1100px; }
pre { background: #f4f4f4; padding: 10px 14px; overflow-x: auto; font-size: 0.88em; }
.scroll { overflow-x: auto; }
)css";

std::string html_table(const Table& t) {
  std::ostringstream out;
  out << "<div class=\"scroll\"><table>\n<tr>";
  for (const auto& h : t.header)
    out << "<th>" << escape_html(h) << "</th>";
  out << "</tr>\n";
  for (const auto& row : t.rows) {
    out << "<tr>";
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cls;
      if (i < t.numeric.size() && t.numeric[i]) cls = "num";
      if (row[i] == "pass") cls = "pass";
      if (row[i] == "fail") cls = "fail";
      if (row[i] == "inconclusive") cls = "inconclusive";
      out << (cls.empty() ? "<td>" : "<td class=\"" + cls + "\">") << escape_html(row[i])
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table></div>\n";
  return out.str();
}

std::string downloads(const Figure& f, bool html) {
  std::string out;
  for (const auto& format : figure_formats()) {
    const std::string file = f.name + "." + format;
    std::string upper = format;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    out += (out.empty() ? "" : " · ") +
           (html ? "<a href=\"" + file + "\">" + upper + "</a>" : "[" + upper + "](" + file + ")");
  }
  const std::string script = f.name + ".gp", data = f.name + ".dat";
  return out + " · " +
         (html ? "<a href=\"" + script + "\">gnuplot script</a> (<a href=\"" + data + "\">data</a>)"
               : "[gnuplot script](" + script + ") ([data](" + data + "))");
}

std::string to_html(const std::string& title, const Document& doc) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>" << escape_html(title) << "</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n<main>\n<h1>" << escape_html(title) << "</h1>\n";
  for (const auto& b : doc) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out << "<h2>" << escape_html(b.text) << "</h2>\n";
        break;
      case Block::Kind::kParagraph:
        out << "<p>" << escape_html(b.text) << "</p>\n";
        break;
      case Block::Kind::kTable:
        out << html_table(b.table);
        break;
      case Block::Kind::kCode:
        out << "<pre>" << escape_html(b.text) << "</pre>\n";
        break;
      case Block::Kind::kFigure:
        out << "<figure id=\"" << b.figure.name << "\">\n<h3>" << escape_html(b.figure.title)
            << "</h3>\n<img src=\"" << b.figure.name << ".svg\" alt=\""
            << escape_html(b.figure.title) << "\">\n<figcaption>" << escape_html(b.figure.caption)
            << " " << downloads(b.figure, true) << "</figcaption>\n</figure>\n";
        break;
    }
  }
  out << "</main>\n</body>\n</html>\n";
  return out.str();
}

// --- Markdown ----------------------------------------------------------------------

std::string to_markdown(const std::string& title, const Document& doc) {
  std::ostringstream out;
  out << "# " << title << "\n\n";
  for (const auto& b : doc) {
    switch (b.kind) {
      case Block::Kind::kHeading:
        out << "## " << b.text << "\n\n";
        break;
      case Block::Kind::kParagraph:
        out << b.text << "\n\n";
        break;
      case Block::Kind::kTable: {
        out << "|";
        for (const auto& h : b.table.header)
          out << " " << markdown_cell(h) << " |";
        out << "\n|";
        for (size_t i = 0; i < b.table.header.size(); ++i)
          out << (i < b.table.numeric.size() && b.table.numeric[i] ? "---:|" : "---|");
        out << "\n";
        for (const auto& row : b.table.rows) {
          out << "|";
          for (const auto& cell : row)
            out << " " << markdown_cell(cell) << " |";
          out << "\n";
        }
        out << "\n";
        break;
      }
      case Block::Kind::kCode:
        out << "```\n" << b.text << "\n```\n\n";
        break;
      case Block::Kind::kFigure:
        out << "### " << b.figure.title << "\n\n![" << b.figure.title << "](" << b.figure.name
            << ".svg)\n\n"
            << b.figure.caption << " " << downloads(b.figure, false) << "\n\n";
        break;
    }
  }
  return out.str();
}

std::string text_table(const Table& t) {
  std::vector<size_t> widths(t.header.size(), 0);
  const auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  };
  measure(t.header);
  for (const auto& row : t.rows)
    measure(row);
  std::ostringstream out;
  const auto line = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      const size_t pad = widths[i] - row[i].size();
      const bool right = i < t.numeric.size() && t.numeric[i];
      out << (i ? "  " : "") << (right ? std::string(pad, ' ') + row[i] : row[i])
          << (right || i + 1 == row.size() ? "" : std::string(pad, ' '));
    }
    out << "\n";
  };
  line(t.header);
  for (const auto& row : t.rows)
    line(row);
  return out.str();
}

}  // namespace

namespace {

// True for the files a report writes: its pages and figures.
bool report_file(const fs::path& file) {
  const std::string name = file.filename().string(), ext = file.extension().string();
  return name == "index.html" || name == "report.md" || ext == ".png" || ext == ".svg" ||
         ext == ".pdf" || ext == ".gp" || ext == ".dat";
}

// Replaces folder `dir` (absent, or holding only report files) with
// `staged`: a reader sees the old report or the new one whole, never a mix
// or stale figures. Two reports into one folder at once each end whole;
// the later one stays.
void replace_folder(const fs::path& staged, const fs::path& dir) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file() || !report_file(entry.path())) {
      fs::remove_all(staged, error);
      throw std::invalid_argument(dir.string() + " holds " + entry.path().filename().string() +
                                  ", which a report does not write; choose an empty or new "
                                  "--out");
    }
  }
  const fs::path old = dir.string() + ".old-" + std::to_string(::getpid());
  for (int attempt = 0; attempt < 20; ++attempt) {
    fs::remove_all(old, error);   // what an attempt that lost the race moved aside
    fs::rename(dir, old, error);  // fails harmlessly when there is no report yet
    fs::rename(staged, dir, error);
    if (!error) break;
  }
  fs::remove_all(old, error);
  if (fs::exists(staged)) {
    fs::remove_all(staged, error);
    throw std::runtime_error("cannot put the report in " + dir.string() +
                             " (another process keeps replacing it)");
  }
}

}  // namespace

ReportFiles write_report(const Study& study, const fs::path& out) {
  const fs::path dir = out.has_filename() ? out : out.parent_path();  // "reports/x/"
  // Drawn beside its folder first, then swapped in whole.
  const fs::path staged = dir.parent_path() / ("." + dir.filename().string() + ".drawing-" +
                                               std::to_string(::getpid()));
  fs::remove_all(staged);
  fs::create_directories(staged);
  const auto pairs = compare_settings(study);
  ReportFiles files;
  try {
    files.figures = draw_figures(study, pairs, staged);
    const Document doc = build(study, files.figures, pairs);
    const std::string title = "attnlab report: " + study.sweep.name;
    base::write_file(staged / "index.html", to_html(title, doc));
    base::write_file(staged / "report.md", to_markdown(title, doc));
  } catch (...) {
    std::error_code error;
    fs::remove_all(staged, error);
    throw;
  }
  replace_folder(staged, dir);
  files.html = dir / "index.html";
  files.markdown = dir / "report.md";
  return files;
}

std::string summary_text(const Study& study) {
  return text_table(summary_table(study));
}

}  // namespace attnlab::report
