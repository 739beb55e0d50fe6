// Headless Chromium as a test oracle for report pages. The page under test
// stays script-free: a harness page with an inline script loads it in an
// iframe, counts its images once the iframe's load event fires (which waits
// for every non-lazy image), and writes the counts into its own DOM, which
// `chromium --dump-dom` prints.
#include "browser.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace attnlab::testing {
namespace {

namespace fs = std::filesystem;

// Wall-clock limit for one browser run, enforced by coreutils `timeout`,
// which signals chromium's whole process group.
constexpr int kTimeoutSeconds = 120;
// Virtual time the page may use. Virtual time only advances while nothing is
// loading, so a larger budget costs no wall-clock time; it bounds pages whose
// load never settles.
constexpr int kVirtualTimeBudgetMs = 30000;
// The harness writes its answer into this element.
constexpr char kResultOpen[] = "<pre id=\"attnlab-result\">";
constexpr char kResultClose[] = "</pre>";

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

constexpr char kChromiumMissing[] =
    "chromium not found on PATH or at /usr/bin/chromium: install Debian's chromium "
    "(scripts/install-deps.sh --test, which make test runs, does)";

// `chromium` on PATH, else /usr/bin/chromium; empty when neither is there.
fs::path find_chromium() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && is_executable(fs::path(dir) / "chromium"))
        return fs::path(dir) / "chromium";
    }
  }
  if (is_executable("/usr/bin/chromium")) return "/usr/bin/chromium";
  return {};
}

// Single-quotes `s` for /bin/sh (dash).
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// file:// URL for an absolute path; every byte outside the unreserved set is
// percent-encoded, so the result is also safe inside HTML and a JS string.
std::string file_url(const fs::path& absolute) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (unsigned char c : absolute.string()) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
    if (plain) {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    }
  }
  return url;
}

// Inverse of JavaScript's encodeURIComponent. The harness encodes every
// free-text field so that the DOM serializer's escaping (&amp; &lt; ...)
// never touches it.
std::string percent_decode(const std::string& s) {
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const int high = s[i] == '%' && i + 2 < s.size() ? hex(s[i + 1]) : -1;
    const int low = high >= 0 ? hex(s[i + 2]) : -1;
    if (low >= 0) {
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A private folder under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "attnlab-chromium-XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary folder for chromium under " +
                               fs::temp_directory_path().string());
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The harness. The page's URL is absolute: with --allow-file-access-from-files
// a file:// document may read any other file:// document, so the harness can
// live in the temp folder and nothing is written beside the page. Without the
// flag every file:// URL is its own opaque origin and contentDocument is null.
std::string harness_html(const std::string& page_url) {
  return R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>attnlab harness</title></head><body>
<pre id="attnlab-result">pending</pre>
<script>
(function () {
  var out = document.getElementById('attnlab-result');
  function enc(s) { try { return encodeURIComponent(s); } catch (e) { return 'unencodable'; } }
  // Rows of the image, drawn at the size the page shows it, that hold a
  // smooth ramp (browser.h); -1 when the canvas cannot be read.
  function smoothRows(img) {
    var w = Math.max(1, Math.round(img.getBoundingClientRect().width));
    var h = Math.max(1, Math.round(img.getBoundingClientRect().height));
    var canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    var ctx = canvas.getContext('2d');
    var px;
    try {
      ctx.drawImage(img, 0, 0, w, h);
      px = ctx.getImageData(0, 0, w, h).data;
    } catch (e) {
      return -1;
    }
    var L = 40, rows = 0;
    for (var y = 0; y < h; y++) {
      var found = false;
      for (var x = 0; x + L < w && !found; x++) {
        var sign = [0, 0, 0], total = [0, 0, 0], ok = true;
        for (var k = 0; k < L && ok; k++) {
          var a = 4 * (y * w + x + k), b = a + 4;
          for (var c = 0; c < 3; c++) {
            var d = px[b + c] - px[a + c];
            if (Math.abs(d) > 3 || (d !== 0 && sign[c] !== 0 && (d > 0) !== (sign[c] > 0))) {
              ok = false;
              break;
            }
            if (d !== 0) sign[c] = d;
            total[c] += d;
          }
        }
        found = ok && Math.max(Math.abs(total[0]), Math.abs(total[1]), Math.abs(total[2])) >= 6;
      }
      if (found) rows++;
    }
    return rows;
  }
  var frame = document.createElement('iframe');
  frame.style.width = '1280px';
  frame.style.height = '8000px';
  frame.addEventListener('load', function () {
    var doc = frame.contentDocument;
    if (doc && doc.URL === 'about:blank') return;
    if (!doc) {
      out.textContent = 'loaded 0\ndetail ' +
          enc('the browser could not load the page (its error page is cross-origin)');
      return;
    }
    var images = doc.images || [];
    var broken = [];
    for (var i = 0; i < images.length; i++) {
      var img = images[i];
      if (!(img.complete && img.naturalWidth > 0))
        broken.push(img.getAttribute('src') || img.currentSrc || '(no src)');
    }
    var smooth = '';
    for (var i = 0; i < images.length; i++) {
      if (images[i].complete && images[i].naturalWidth > 0)
        smooth += '\nsmooth ' + smoothRows(images[i]) + ' ' + enc(images[i].getAttribute('src'));
    }
    out.textContent = 'loaded 1\nimages ' + images.length + '\nbroken ' + broken.length +
        '\ntitle ' + enc(doc.title) +
        '\ndetail ' + enc(broken.length ? 'broken images: ' + broken.join(', ') : '') + smooth;
  });
  frame.src = ')" +
         page_url + R"(';
  document.body.appendChild(frame);
})();
</script>
</body></html>
)";
}

struct Run {
  int exit_code = -1;
  std::string stdout_text;
};

Run run_command(const std::string& command) {
  Run r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start a shell to run chromium");
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    r.stdout_text.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Reads the harness's "key value" lines into `check`.
PageCheck parse_result(const std::string& text) {
  PageCheck check;
  if (text == "pending") {
    check.detail = "the page did not finish loading within the browser's time budget";
    return check;
  }
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "loaded") check.loaded = value == "1";
    if (key == "images") check.images = std::stoi(value);
    if (key == "broken") check.broken = std::stoi(value);
    if (key == "title") check.title = percent_decode(value);
    if (key == "detail") check.detail = percent_decode(value);
    if (key == "smooth") {
      const size_t gap = value.find(' ');
      check.smooth_rows[percent_decode(value.substr(gap + 1))] = std::stoi(value.substr(0, gap));
    }
  }
  return check;
}

}  // namespace

std::string chromium_missing() {
  return find_chromium().empty() ? kChromiumMissing : "";
}

PageCheck check_page_in_chromium(const fs::path& page) {
  const fs::path chromium = find_chromium();
  if (chromium.empty()) throw std::runtime_error(kChromiumMissing);
  const fs::path absolute = fs::absolute(page).lexically_normal();
  if (!fs::is_regular_file(absolute)) {
    PageCheck missing;
    missing.detail = "no such file: " + absolute.string();
    return missing;
  }

  const TempDir tmp;
  const fs::path harness = tmp.path() / "harness.html";
  const fs::path home = tmp.path() / "home";
  const fs::path stderr_log = tmp.path() / "stderr.log";
  {
    std::ofstream out(harness, std::ios::binary);
    out << harness_html(file_url(absolute));
    if (!out) throw std::runtime_error("cannot write " + harness.string());
  }

  // HOME and XDG_* point into the temp folder so that the crash-report,
  // dconf and other files chromium writes outside its profile land there too.
  // stderr (dbus complaints, the Debian wrapper's own warnings) goes to a
  // file: only the dumped DOM is on stdout.
  const std::string command =
      "HOME=" + shell_quote(home.string()) +
      " XDG_CONFIG_HOME=" + shell_quote((home / ".config").string()) +
      " XDG_CACHE_HOME=" + shell_quote((home / ".cache").string()) + " timeout -k 10 " +
      std::to_string(kTimeoutSeconds) + " " + shell_quote(chromium.string()) +
      " --headless --no-sandbox --disable-gpu --allow-file-access-from-files"
      " --no-first-run --disable-extensions --virtual-time-budget=" +
      std::to_string(kVirtualTimeBudgetMs) +
      " --user-data-dir=" + shell_quote((tmp.path() / "profile").string()) + " --dump-dom " +
      shell_quote(file_url(harness)) + " 2>" + shell_quote(stderr_log.string());
  const Run run = run_command(command);

  const size_t open = run.stdout_text.find(kResultOpen);
  const size_t begin = open == std::string::npos ? open : open + sizeof(kResultOpen) - 1;
  const size_t end = begin == std::string::npos ? begin : run.stdout_text.find(kResultClose, begin);
  if (end == std::string::npos) {
    std::string err = read_file(stderr_log);
    if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
    throw std::runtime_error("chromium gave no result for " + absolute.string() + " (exit code " +
                             std::to_string(run.exit_code) +
                             (run.exit_code == 124 ? ", timed out" : "") + "); stderr:\n" + err);
  }
  return parse_result(run.stdout_text.substr(begin, end - begin));
}

}  // namespace attnlab::testing
