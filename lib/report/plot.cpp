// gnuplot's messages go to a log beside the figure, read back on failure.
#include "report/plot.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "base/files.h"
#include "base/text.h"

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

// The script `script` that draws `plot` in `formats` into files named
// NAME.FORMAT in its own folder, its data loaded from `data` there.
std::string script_text(const Plot& plot, const std::string& name, const std::string& script_name,
                        const std::string& data, const std::vector<std::string>& formats) {
  std::ostringstream script;
  script << "# Draws " << name << " as";
  for (const auto& format : formats)
    script << " " << name << "." << format;
  script << ": run `gnuplot " << script_name << "` in this folder.\n"
         << "# Restyle it by editing what follows; its numbers are in " << data << ".\n"
         << "set encoding utf8\nload " << gnuplot_string(data) << "\n";
  for (const auto& format : formats) {
    script << "\nreset\nset terminal " << terminal(format, plot) << "\n"
           << "set output " << gnuplot_string(name + "." + format) << "\n"
           << plot.commands << "\nunset multiplot\nset output\n";
  }
  return script.str();
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

void render(const Plot& plot, const fs::path& stem, const std::vector<std::string>& formats,
            Script keep) {
  const fs::path dir = stem.parent_path().empty() ? fs::path(".") : stem.parent_path();
  const std::string name = stem.filename().string();
  fs::create_directories(dir);
  // A script that is not kept gets a name of its own, so that it never
  // replaces a file the user keeps beside the figure.
  const std::string kept =
      keep == Script::kKeep ? name : "." + name + "." + std::to_string(::getpid());
  const fs::path script = dir / (kept + ".gp"), data = dir / (kept + ".dat");
  const fs::path log = dir / ("." + name + "." + std::to_string(::getpid()) + ".gnuplot.log");
  std::vector<fs::path> outputs;
  for (const auto& format : formats) {
    outputs.push_back(dir / (name + "." + format));
    fs::remove(outputs.back());
  }
  base::write_file(data, "# The data of " + name + ".gp, as gnuplot datablocks.\n" + plot.data);
  base::write_file(script, script_text(plot, name, script.filename().string(),
                                       data.filename().string(), formats));
  const std::string command = "cd " + base::shell_quoted(dir.string()) + " && gnuplot " +
                              base::shell_quoted(script.filename().string()) + " 2> " +
                              base::shell_quoted(log.filename().string());
  if (std::system(command.c_str()) == -1) throw std::runtime_error("could not run: " + command);
  std::ifstream in(log);
  std::stringstream messages;
  messages << in.rdbuf();
  fs::remove(log);
  if (keep == Script::kRemove) {
    fs::remove(script);
    fs::remove(data);
  }
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
