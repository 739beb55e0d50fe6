// The headless-Chromium page check on hand-made pages: images that exist,
// one that is missing, one that is not an image, a missing page, and a page
// in a folder whose name needs quoting. Each check starts a browser (~2 s);
// without Debian's chromium every test skips with a message.
#include "browser.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace attnlab::testing {
namespace {

namespace fs = std::filesystem;

// A valid 1x1 RGBA PNG (one red pixel), checksums included.
const std::vector<unsigned char> kOnePixelPng = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x56, 0xc7,
    0x2f, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

const char kSvg[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\" viewBox=\"0 0 40 20\">"
    "<rect width=\"40\" height=\"20\" fill=\"steelblue\"/></svg>\n";

// A script-free page, as the report writer produces them.
std::string page_html(const std::string& title, const std::vector<std::string>& images) {
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title +
                     "</title></head>\n<body><h1>Report</h1>\n";
  for (const std::string& src : images)
    html += "<img src=\"" + src + "\" alt=\"figure\">\n";
  return html + "</body></html>\n";
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  ASSERT_TRUE(out) << p;
}

void write(const fs::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out) << p;
}

class Browser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = chromium_missing(); !why.empty()) GTEST_SKIP() << why;
    dir_ = fs::temp_directory_path() /
           ("attnlab-browser-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Files in the test's folder, to check that the harness leaves none behind.
  std::vector<fs::path> listing() const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_))
      files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  }

  fs::path dir_;
};

TEST_F(Browser, PageWithAnSvgAndAPngLoadsBoth) {
  fs::create_directories(dir_ / "figures");
  write(dir_ / "figures" / "loss.svg", kSvg);
  write(dir_ / "pixel.png", kOnePixelPng);
  // The title's entity and non-ASCII letter come back decoded, as UTF-8.
  write(dir_ / "index.html", page_html("Attention &amp; alignment \xc3\xa9t\xc3\xa9",
                                       {"figures/loss.svg", "pixel.png"}));
  const std::vector<fs::path> before = listing();

  const PageCheck check = check_page_in_chromium(dir_ / "index.html");

  EXPECT_TRUE(check.loaded) << check.detail;
  EXPECT_EQ(check.images, 2);
  EXPECT_EQ(check.broken, 0) << check.detail;
  EXPECT_EQ(check.title, "Attention & alignment \xc3\xa9t\xc3\xa9");
  EXPECT_EQ(check.detail, "");
  EXPECT_EQ(listing(), before) << "the check must not write beside the page";
}

TEST_F(Browser, MissingImageCountsAsBroken) {
  write(dir_ / "loss.svg", kSvg);
  write(dir_ / "index.html", page_html("Missing figure", {"loss.svg", "attention.png"}));

  const PageCheck check = check_page_in_chromium(dir_ / "index.html");

  EXPECT_TRUE(check.loaded) << check.detail;
  EXPECT_EQ(check.images, 2);
  EXPECT_EQ(check.broken, 1);
  EXPECT_EQ(check.title, "Missing figure");
  EXPECT_NE(check.detail.find("attention.png"), std::string::npos) << check.detail;
}

TEST_F(Browser, FileThatIsNotAnImageCountsAsBroken) {
  write(dir_ / "truncated.png",
        std::vector<unsigned char>(kOnePixelPng.begin(), kOnePixelPng.begin() + 20));
  write(dir_ / "index.html", page_html("Corrupt figure", {"truncated.png"}));

  const PageCheck check = check_page_in_chromium(dir_ / "index.html");

  EXPECT_TRUE(check.loaded) << check.detail;
  EXPECT_EQ(check.images, 1);
  EXPECT_EQ(check.broken, 1);
  EXPECT_NE(check.detail.find("truncated.png"), std::string::npos) << check.detail;
}

// The same 2x2 checkerboard of two blues drawn 400 pixels wide: as a raster
// image that the browser stretches (the cells blur into each other), and as
// four rectangles (crisp), the two ways gnuplot's `with image` draws a
// heatmap into SVG without and with `pixels`.
TEST_F(Browser, AStretchedRasterHeatmapIsSmoothAndRectanglesAreNot) {
  const std::string size = "width=\"400\" height=\"300\" viewBox=\"0 0 400 300\"";
  write(
      dir_ / "stretched.svg",
      "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" " +
          size +
          "><image x=\"0\" y=\"0\" width=\"400\" height=\"300\" preserveAspectRatio=\"none\" "
          "xlink:href=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAE0lE"
          "QVR4nGM4cee/XMACBiAGsgAySgdjDmycQQAAAABJRU5ErkJggg==\"/></svg>\n");
  const std::string light = "fill=\"rgb(200,220,255)\"", dark = "fill=\"rgb(30,80,160)\"";
  write(dir_ / "cells.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" " + size +
                                "><rect width=\"200\" height=\"150\" " + light +
                                "/><rect x=\"200\" width=\"200\" height=\"150\" " + dark +
                                "/><rect y=\"150\" width=\"200\" height=\"150\" " + dark +
                                "/><rect x=\"200\" y=\"150\" width=\"200\" height=\"150\" " +
                                light + "/></svg>\n");
  write(dir_ / "index.html", page_html("Heatmaps", {"stretched.svg", "cells.svg"}));

  const PageCheck check = check_page_in_chromium(dir_ / "index.html");

  EXPECT_EQ(check.broken, 0) << check.detail;
  ASSERT_EQ(check.smooth_rows.count("stretched.svg"), 1u) << check.detail;
  EXPECT_GT(check.smooth_rows.at("stretched.svg"), 20);
  EXPECT_EQ(check.smooth_rows.at("cells.svg"), 0);
}

// Decided: a missing page is a result (loaded == false), not an exception;
// exceptions mean the browser itself is unusable.
TEST_F(Browser, MissingPageIsNotLoaded) {
  const PageCheck check = check_page_in_chromium(dir_ / "no-such-page.html");

  EXPECT_FALSE(check.loaded);
  EXPECT_EQ(check.images, 0);
  EXPECT_EQ(check.broken, 0);
  EXPECT_EQ(check.title, "");
  EXPECT_NE(check.detail.find("no-such-page.html"), std::string::npos) << check.detail;
}

TEST_F(Browser, FolderNamesThatNeedQuotingWork) {
  const fs::path odd = dir_ / "it's a #report 100%";
  fs::create_directories(odd);
  write(odd / "pixel.png", kOnePixelPng);
  write(odd / "index.html", page_html("Odd folder", {"pixel.png"}));

  const PageCheck check = check_page_in_chromium(odd / "index.html");

  EXPECT_TRUE(check.loaded) << check.detail;
  EXPECT_EQ(check.images, 1);
  EXPECT_EQ(check.broken, 0) << check.detail;
  EXPECT_EQ(check.title, "Odd folder");
}

}  // namespace
}  // namespace attnlab::testing
