// The override parser. Hand-written rather than generated: the grammar is
// small, and hand-written code gives exact caret positions in errors.
#include "config/override.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "config/errors.h"

namespace attnlab::config {
namespace {

[[noreturn]] void fail(const std::string& text, size_t position, const std::string& what) {
  std::ostringstream out;
  out << "Error parsing override '" << text << "'\n  " << text << "\n  "
      << std::string(std::min(position, text.size()), ' ') << "^ " << what;
  throw ConfigError(out.str());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string strip(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

bool valid_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == '/' || c == '@' || c == '[' || c == ']';
}

YAML::Node string_node(const std::string& s) {
  YAML::Node node(s);
  node.SetTag("!");  // quoted: never typed later
  return node;
}

// Splits `body` at commas outside quotes and brackets. `offset` is the
// position of body in the override text, for error carets.
std::vector<std::pair<std::string, size_t>> split_top_level(const std::string& text,
                                                            const std::string& body,
                                                            size_t offset) {
  std::vector<std::pair<std::string, size_t>> parts;
  std::vector<char> open;
  char quote = 0;
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{' || c == '(') {
      open.push_back(c);
    } else if (c == ']' || c == '}' || c == ')') {
      const char expected = c == ']' ? '[' : c == '}' ? '{' : '(';
      if (open.empty() || open.back() != expected) {
        fail(text, offset + i, std::string("unbalanced '") + c + "'");
      }
      open.pop_back();
    } else if (c == ',' && open.empty()) {
      parts.emplace_back(body.substr(start, i - start), offset + start);
      start = i + 1;
    }
  }
  if (quote != 0) fail(text, offset + body.size(), std::string("unterminated quote ") + quote);
  if (!open.empty())
    fail(text, offset + body.size(), std::string("unclosed '") + open.back() + "'");
  parts.emplace_back(body.substr(start), offset + start);
  return parts;
}

std::string unquote(const std::string& text, const std::string& quoted, size_t offset) {
  std::string out;
  const char quote = quoted.front();
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\' && i + 2 < quoted.size()) {
      out += quoted[++i];
    } else if (quoted[i] == quote) {
      fail(text, offset + i, "unexpected quote inside a quoted value");
    } else {
      out += quoted[i];
    }
  }
  return out;
}

YAML::Node parse_element(const std::string& text, const std::string& raw, size_t offset) {
  const std::string value = strip(raw);
  const size_t lead = raw.find_first_not_of(" \t");
  const size_t at = offset + (lead == std::string::npos ? 0 : lead);
  if (value.empty()) return string_node("");
  const char first = value.front();
  if (first == '\'' || first == '"') {
    if (value.size() < 2 || value.back() != first) fail(text, at, "unterminated quoted value");
    return string_node(unquote(text, value, at));
  }
  if (first == '[' || first == '{') {
    try {
      return YAML::Load(value);
    } catch (const YAML::Exception& e) {
      fail(text, at + (e.mark.is_null() ? 0 : e.mark.pos), "malformed list or dict: " + e.msg);
    }
  }
  const std::string l = lower(value);
  if (l == "null") return YAML::Node(YAML::NodeType::Null);
  if (l == "true" || l == "false") return YAML::Node(l);
  long long i = 0;
  if (parse_int(value, &i)) return YAML::Node(std::to_string(i));
  double f = 0;
  if (parse_float(value, &f)) {
    if (std::isnan(f)) return YAML::Node(".nan");
    if (std::isinf(f)) return YAML::Node(f > 0 ? ".inf" : "-.inf");
    return YAML::Node(value);
  }
  return YAML::Node(value);
}

std::vector<YAML::Node> parse_range(const std::string& text, const std::string& args,
                                    size_t offset) {
  std::vector<double> numbers;
  bool all_ints = true;
  for (const auto& [part, at] : split_top_level(text, args, offset)) {
    const std::string arg = strip(part);
    long long i = 0;
    double f = 0;
    if (parse_int(arg, &i)) {
      numbers.push_back(static_cast<double>(i));
    } else if (parse_float(arg, &f) && std::isfinite(f)) {
      numbers.push_back(f);
      all_ints = false;
    } else {
      fail(text, at, "range() takes numbers: range(start, stop[, step])");
    }
  }
  if (numbers.size() < 2 || numbers.size() > 3) {
    fail(text, offset, "range() takes 2 or 3 arguments: range(start, stop[, step])");
  }
  const double start = numbers[0], stop = numbers[1];
  const double step = numbers.size() == 3 ? numbers[2] : 1.0;
  if (step == 0) fail(text, offset, "range() step must not be zero");
  std::vector<YAML::Node> values;
  for (size_t k = 0;; ++k) {
    const double v = start + static_cast<double>(k) * step;
    if ((step > 0 && v >= stop) || (step < 0 && v <= stop)) break;
    std::ostringstream s;
    if (all_ints) {
      s << static_cast<long long>(v);
    } else {
      s.precision(15);
      s << v;
    }
    values.emplace_back(s.str());
  }
  if (values.empty()) fail(text, offset, "range() is empty");
  return values;
}

}  // namespace

bool parse_int(const std::string& text, long long* out) {
  std::string digits;
  size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) digits += text[i++];
  if (i >= text.size()) return false;
  bool last_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
      last_digit = true;
    } else if (c == '_' && last_digit) {
      last_digit = false;
    } else {
      return false;
    }
  }
  if (!last_digit) return false;
  errno = 0;
  *out = std::strtoll(digits.c_str(), nullptr, 10);
  return errno == 0;
}

bool parse_float(const std::string& text, double* out) {
  const std::string l = lower(text);
  std::string body = l;
  double sign = 1;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    sign = body[0] == '-' ? -1 : 1;
    body = body.substr(1);
  }
  if (body == "inf" || body == ".inf") {
    *out = sign * INFINITY;
    return true;
  }
  if (body == "nan" || body == ".nan") {
    *out = NAN;
    return true;
  }
  std::string cleaned;
  for (char c : l) {
    if (c != '_') cleaned += c;
  }
  if (cleaned.empty() || cleaned.find_first_of("0123456789") == std::string::npos) return false;
  if (cleaned.find_first_not_of("0123456789+-.e") != std::string::npos) return false;
  char* end = nullptr;
  *out = std::strtod(cleaned.c_str(), &end);
  return end != nullptr && *end == '\0';
}

std::string render_value(const YAML::Node& value) {
  if (!value.IsDefined() || value.IsNull()) return "null";
  if (value.IsScalar()) {
    const std::string& s = value.Scalar();
    if (value.Tag() == "!") {
      long long i = 0;
      double f = 0;
      const bool needs_quotes = s.empty() || parse_int(s, &i) || parse_float(s, &f) ||
                                s.find_first_of(",()[]{}'\" =") != std::string::npos ||
                                lower(s) == "true" || lower(s) == "false" || lower(s) == "null";
      return needs_quotes ? "'" + s + "'" : s;
    }
    return s;
  }
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

std::string Override::with_value(const YAML::Node& v) const {
  const std::string prefix = action == OverrideAction::kAdd        ? "+"
                             : action == OverrideAction::kForceAdd ? "++"
                             : action == OverrideAction::kDelete   ? "~"
                                                                   : "";
  return prefix + key + "=" + render_value(v);
}

Override parse_override(const std::string& text) {
  Override o;
  o.text = text;
  size_t pos = 0;
  if (text.rfind("++", 0) == 0) {
    o.action = OverrideAction::kForceAdd;
    pos = 2;
  } else if (text.rfind('+', 0) == 0) {
    o.action = OverrideAction::kAdd;
    pos = 1;
  } else if (text.rfind('~', 0) == 0) {
    o.action = OverrideAction::kDelete;
    pos = 1;
  }
  const size_t equals = text.find('=', pos);
  const std::string key =
      text.substr(pos, equals == std::string::npos ? std::string::npos : equals - pos);
  if (key.empty()) fail(text, pos, "expected a key, as in key=value");
  for (size_t i = 0; i < key.size(); ++i) {
    if (!valid_key_char(key[i])) {
      fail(text, pos + i,
           std::string("'") + key[i] + "' cannot appear in a key (letters, digits, _ - . / @ [ ])");
    }
  }
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) {
    fail(text, pos, "a key is names joined by single dots, as in train.lr");
  }
  o.key = key;
  if (equals == std::string::npos) {
    if (o.action != OverrideAction::kDelete) {
      fail(text, text.size(),
           "expected '=' and a value, as in " + key + "=VALUE (or ~" + key + " to delete it)");
    }
    return o;
  }
  o.has_value = true;
  const size_t value_at = equals + 1;
  const std::string raw = text.substr(value_at);
  const std::string value = strip(raw);
  const size_t lead = raw.find_first_not_of(" \t");
  const size_t at = value_at + (lead == std::string::npos ? 0 : lead);

  for (const std::string function : {"choice", "range", "glob", "interval", "sort", "shuffle"}) {
    if (value.rfind(function + "(", 0) == 0) {
      if (value.back() != ')') fail(text, at + value.size(), "expected ')' to close " + function);
      const std::string args =
          value.substr(function.size() + 1, value.size() - function.size() - 2);
      const size_t args_at = at + function.size() + 1;
      if (function == "choice") {
        for (const auto& [part, part_at] : split_top_level(text, args, args_at)) {
          o.sweep.push_back(parse_element(text, part, part_at));
        }
      } else if (function == "range") {
        o.sweep = parse_range(text, args, args_at);
      } else {
        fail(
            text, at,
            function + "() is not supported yet; list the values instead, as in " + key + "=a,b,c");
      }
      o.value = o.sweep.front();
      return o;
    }
  }
  const auto parts = split_top_level(text, raw, value_at);
  if (parts.size() > 1) {
    for (const auto& [part, part_at] : parts)
      o.sweep.push_back(parse_element(text, part, part_at));
    o.value = o.sweep.front();
    return o;
  }
  o.value = parse_element(text, raw, value_at);
  return o;
}

}  // namespace attnlab::config
