// The one place that runs gnuplot (through a pipe to the gnuplot program): a
// figure is a gnuplot script, drawn once per format with the same data, so
// the PNG, the SVG and the PDF show the same thing. The script (NAME.gp) and
// its data (NAME.dat) stay beside the figure, so that `gnuplot NAME.gp` in
// that folder redraws it, restyled by whatever the user edited. Scripts hold
// no dates or paths, and the PDF's creation date is fixed, so a figure
// redrawn from the same numbers is the same SVG and PDF, byte for byte.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab::report {

struct Plot {
  std::string data;      // datablocks ("$name << EOD ... EOD"), sent once
  std::string commands;  // settings and plot commands, run once per format
  int width = 900;       // of the PNG and SVG in pixels; the PDF is the same at 96 dpi
  int height = 560;
};

// The formats every figure is drawn in: "png", "svg", "pdf".
const std::vector<std::string>& figure_formats();

// Whether render() leaves STEM.gp and STEM.dat beside the figure.
enum class Script { kKeep, kRemove };

// Writes `plot` as the script STEM.gp and its data STEM.dat, and draws it by
// running `gnuplot STEM.gp` in STEM's folder: STEM.png, STEM.svg and
// STEM.pdf (or the `formats` only). Throws std::runtime_error with
// gnuplot's own message when it fails or writes nothing.
void render(const Plot& plot, const std::filesystem::path& stem,
            const std::vector<std::string>& formats = figure_formats(),
            Script script = Script::kKeep);

// `text` as a gnuplot string literal (double-quoted, escaped).
std::string gnuplot_string(const std::string& text);

// The colour of series i ("#E69F00"): the Okabe-Ito palette, told apart
// with the common colour-vision deficiencies, repeating after 8.
std::string series_colour(size_t i);
// Its line style: that colour, a point type, and dashes from the 9th on.
std::string series_style(size_t i);

}  // namespace attnlab::report
