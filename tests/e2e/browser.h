// Opens an HTML page in a real browser (Debian's headless Chromium) and
// reports whether it loaded and whether its <img> elements rendered. Used by
// end-to-end tests of the generated report pages. Self-contained: links only
// against the standard library, so any test executable can add browser.cpp.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace attnlab::testing {

// What the browser saw of one page.
struct PageCheck {
  // True when the page's document loaded in the browser.
  bool loaded = false;
  // Number of <img> elements in the loaded document.
  int images = 0;
  // Number of those that did not load: not complete, or naturalWidth == 0
  // (missing file, undecodable image).
  int broken = 0;
  // The document's title, as the browser parsed it (entities decoded).
  std::string title;
  // Human-readable notes: the src of each broken image, or why the page did
  // not load. Empty when everything loaded.
  std::string detail;
  // For each loaded image (by its src attribute): how many of its rows, as
  // the page draws it, hold a smooth colour ramp, i.e. 40 or more pixels
  // along which the colour changes by at most 3 levels a pixel, every
  // channel one way, 6 levels or more in all. That is what a browser makes
  // of a small raster image stretched with interpolation (cells that blur
  // into each other). Flat cells, sharp edges and text give 0; so do the
  // rows of a vertical colour bar. -1 when the image could not be read back.
  std::map<std::string, int> smooth_rows;
};

// Opens `page` (an HTML file) in headless Chromium and reports whether it
// loaded and how many of its <img> elements loaded (complete &&
// naturalWidth > 0). Relative image paths resolve against the page's folder,
// as they would for a user opening the file.
//
// The page itself is never modified and needs no script; nothing is written
// next to it. A harness page in a private temporary folder loads it in an
// iframe; the folder (browser profile included) is removed before returning.
// Images with loading="lazy" below the iframe's 1280x8000 viewport are not
// fetched and count as broken.
//
// A missing `page` is not an error: it returns loaded == false with a detail,
// without starting the browser. Takes about two seconds.
//
// REQUIRES: `chromium` on PATH or at /usr/bin/chromium
//           (scripts/install-deps.sh --test installs it; see chromium_missing).
// Throws std::runtime_error if chromium cannot be found, cannot be run, or
// gives no usable answer within two minutes.
PageCheck check_page_in_chromium(const std::filesystem::path& page);

// Empty when check_page_in_chromium can find chromium. Otherwise says that it
// cannot and which Debian package brings it, for a test to skip with:
//   if (const std::string why = chromium_missing(); !why.empty()) GTEST_SKIP() << why;
std::string chromium_missing();

}  // namespace attnlab::testing
