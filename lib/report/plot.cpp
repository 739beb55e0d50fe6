// gnuplot's messages go to a log beside the figure, read back on failure.
#include "report/plot.h"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace attnlab::report {
namespace fs = std::filesystem;
namespace {

// Fonts and line widths chosen so that a figure stays readable at the
// width of one column of a paper (the PDF) and on a screen (PNG, SVG).
std::string terminal(const std::string& format, const Plot& plot) {
  std::ostringstream t;
  if (format == "png") {
    t << "pngcairo size " << plot.width << "," << plot.height
      << " font 'DejaVu Sans,11' linewidth 1.3 rounded noenhanced";
  } else if (format == "svg") {
    t << "svg size " << plot.width << "," << plot.height
      << " dynamic font 'DejaVu Sans,13' linewidth 1.3 rounded noenhanced background '#ffffff'";
  } else {
    t << "pdfcairo size " << plot.width / 96.0 << "in," << plot.height / 96.0
      << "in font 'DejaVu Sans,8.5' linewidth 1.0 rounded noenhanced";
  }
  return t.str();
}

// gnuplot's errors ("line 12: undefined variable: x"), not its warnings.
bool has_errors(const std::string& messages) {
  static const std::regex kError(R"(line \d+: (?!warning))");
  return std::regex_search(messages, kError);
}

// cairo stamps a PDF with the clock ("/CreationDate (D:20261124151856Z)");
// the date is overwritten in place, with as many bytes, by the epoch, so the
// cross-reference offsets stay right and a redrawn PDF is byte-identical.
void clear_creation_date(const fs::path& pdf) {
  std::ifstream in(pdf, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  static const std::regex kDate(R"(/CreationDate \(D:\d{14}Z\))");
  std::smatch found;
  if (!std::regex_search(bytes, found, kDate)) return;
  bytes.replace(found.position(0), found.length(0), "/CreationDate (D:19700101000000Z)");
  std::ofstream(pdf, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs `command` (a shell command line) with `script` on its standard input
// and waits for it to end. gnuplot stops reading at its first error; the
// rest of the script is then dropped (no SIGPIPE) and the error is read
// from its log.
void run_with_input(const std::string& command, const std::string& script) {
  struct sigaction ignore = {};
  struct sigaction previous = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  FILE* pipe = popen(command.c_str(), "w");
  if (pipe) std::fwrite(script.data(), 1, script.size(), pipe);
  const int status = pipe ? pclose(pipe) : -1;
  sigaction(SIGPIPE, &previous, nullptr);
  if (status == -1) throw std::runtime_error("could not run: " + command);
}

}  // namespace

const std::vector<std::string>& figure_formats() {
  static const std::vector<std::string> kFormats = {"png", "svg", "pdf"};
  return kFormats;
}

std::string gnuplot_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

constexpr const char* kColours[] = {"#000000", "#E69F00", "#56B4E9", "#009E73",
                                    "#0072B2", "#D55E00", "#CC79A7", "#999999"};
constexpr size_t kColourCount = sizeof kColours / sizeof kColours[0];

std::string series_colour(size_t i) {
  return kColours[i % kColourCount];
}

std::string series_style(size_t i) {
  static const int kPoints[kColourCount] = {7, 5, 9, 11, 13, 15, 4, 6};
  std::ostringstream s;
  s << "lc rgb '" << series_colour(i) << "' pt " << kPoints[i % kColourCount] << " dt "
    << 1 + (i / kColourCount) % 5;
  return s.str();
}

void render(const Plot& plot, const fs::path& stem, const std::vector<std::string>& formats) {
  const fs::path dir = stem.parent_path().empty() ? fs::path(".") : stem.parent_path();
  fs::create_directories(dir);
  const fs::path log = stem.string() + ".gnuplot.log";
  std::vector<fs::path> outputs;
  for (const auto& format : formats) {
    outputs.push_back(stem.string() + "." + format);
    fs::remove(outputs.back());
  }
  std::ostringstream script;
  script << "set encoding utf8\n" << plot.data;
  for (size_t i = 0; i < outputs.size(); ++i) {
    script << "reset\nset terminal " << terminal(formats[i], plot) << "\n"
           << "set output " << gnuplot_string(outputs[i].string()) << "\n"
           << plot.commands << "\nunset multiplot\nset output\n";
  }
  run_with_input("gnuplot 2> " + gnuplot_string(log.string()), script.str());
  std::ifstream in(log);
  std::stringstream messages;
  messages << in.rdbuf();
  fs::remove(log);
  for (const auto& file : outputs) {
    if (!fs::exists(file) || fs::file_size(file) == 0 || has_errors(messages.str())) {
      throw std::runtime_error("gnuplot could not draw " + file.string() +
                               (messages.str().empty() ? " (is gnuplot with the cairo "
                                                         "terminals installed?)"
                                                       : ": " + messages.str()));
    }
  }
  for (const auto& file : outputs) {
    if (file.extension() == ".pdf") clear_creation_date(file);
  }
}

}  // namespace attnlab::report
