// The override parser: a small recursive-descent parser over the value, so
// that nested lists, function calls and interpolations are read as units and
// every error can put a caret under the exact position.
#include "config/override.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "base/hash.h"
#include "base/text.h"
#include "config/errors.h"

namespace attnlab::config {
namespace {

bool continues_character(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;  // a UTF-8 continuation byte
}

// The whole (UTF-8) character that starts at byte `i` of `s`.
std::string character_at(const std::string& s, size_t i) {
  size_t end = i + 1;
  while (end < s.size() && continues_character(s[end]))
    ++end;
  return s.substr(i, end - i);
}

// Points at byte `position` of `text` (counted in characters, so that the
// caret stands under it whatever the script) and says what is wrong there.
[[noreturn]] void fail(const std::string& text, size_t position, const std::string& what) {
  const size_t before = std::min(position, text.size());
  const auto columns = static_cast<size_t>(
      std::count_if(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(before),
                    [](char c) { return !continues_character(c); }));
  std::ostringstream out;
  out << "cannot parse override '" << text << "'\n  " << text << "\n  " << std::string(columns, ' ')
      << "^ " << what;
  throw ConfigError(out.str());
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

bool valid_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == '/' || c == '@';
}

YAML::Node string_node(const std::string& s) {
  YAML::Node node(s);
  node.SetTag("!");  // a string for sure: never typed later
  return node;
}

bool is_string(const YAML::Node& n) {
  long long i = 0;
  double f = 0;
  if (!n.IsScalar()) return false;
  if (n.Tag() == "!") return true;
  const std::string l = lower(n.Scalar());
  return !(parse_int(n.Scalar(), &i) || parse_float(n.Scalar(), &f) || l == "true" || l == "false");
}

std::string number_text(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  std::string t = s.str();
  // Keep a float a float when it has an integral value ("2.0", not "2").
  if (t.find_first_of(".eEn") == std::string::npos) t += ".0";
  return t;
}

// The result of parsing an element or a function: one value, or a sweep.
struct Parsed {
  bool sweep = false;
  std::vector<YAML::Node> items;  // the sweep's values
  YAML::Node node;                // the single value
  size_t at = 0;                  // where it started, for errors

  std::vector<YAML::Node> values() const { return sweep ? items : std::vector<YAML::Node>{node}; }
};

constexpr const char* kFunctions = "choice, range, glob, sort, shuffle, int, float, str, bool";

bool is_function(const std::string& name) {
  for (const char* f :
       {"choice", "range", "glob", "sort", "shuffle", "int", "float", "str", "bool", "interval"}) {
    if (name == f) return true;
  }
  return false;
}

class ValueParser {
 public:
  ValueParser(const std::string& text, size_t begin, const std::string& key,
              const ParseContext& context)
      : text_(text), pos_(begin), key_(key), context_(context) {}

  // value := element (',' element)*  -- several elements make a simple sweep.
  Parsed parse() {
    skip_spaces();
    if (at_end()) return Parsed{false, {}, string_node(""), pos_};
    Parsed first = element(/*top_level=*/true);
    skip_spaces();
    if (at_end()) return first;
    if (peek() != ',') fail(text_, pos_, std::string("unexpected '") + peek() + "'");
    if (first.sweep) fail(text_, pos_, "a sweep function cannot be part of a comma list");
    Parsed sweep{true, {first.node}, YAML::Node(), first.at};
    while (!at_end() && peek() == ',') {
      ++pos_;
      skip_spaces();
      Parsed next = element(/*top_level=*/true);
      if (next.sweep) fail(text_, next.at, "a sweep function cannot be part of a comma list");
      sweep.items.push_back(next.node);
      skip_spaces();
      if (!at_end() && peek() != ',') fail(text_, pos_, std::string("unexpected '") + peek() + "'");
    }
    return sweep;
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_spaces() {
    while (!at_end() && is_space(peek()))
      ++pos_;
  }
  void expect(char c) {
    if (at_end() || peek() != c) {
      fail(text_, pos_,
           std::string("expected '") + c + "'" +
               (at_end() ? " before the end" : std::string(", got '") + peek() + "'"));
    }
    ++pos_;
  }

  Parsed single(YAML::Node node, size_t at) { return Parsed{false, {}, std::move(node), at}; }

  Parsed element(bool top_level) {
    skip_spaces();
    const size_t at = pos_;
    if (at_end()) fail(text_, pos_, "expected a value");
    const char c = peek();
    if (c == '\'' || c == '"') return single(quoted(), at);
    if (c == '[') return single(list(), at);
    if (c == '{') return single(dict(), at);
    // A name followed by '(' is a function call; as in Hydra, spaces may
    // stand between a known function's name and its parenthesis.
    size_t end = pos_;
    while (end < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
      ++end;
    }
    size_t open = end;
    while (open < text_.size() && is_space(text_[open]) &&
           is_function(text_.substr(pos_, end - pos_)))
      ++open;
    if (end > pos_ && open < text_.size() && text_[open] == '(') {
      const std::string name = text_.substr(pos_, end - pos_);
      pos_ = open + 1;
      Parsed result = function(name, at);
      if (result.sweep && !top_level) {
        fail(text_, at, "a sweep cannot be nested inside a list, a dict or a cast");
      }
      return result;
    }
    return single(primitive(/*in_dict_key=*/false), at);
  }

  YAML::Node quoted() {
    const char quote = peek();
    const size_t open = pos_++;
    std::string out;
    while (!at_end() && peek() != quote) {
      if (peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out += text_[pos_++];
    }
    if (at_end()) fail(text_, open, std::string("unterminated quote ") + quote);
    ++pos_;
    return string_node(out);
  }

  YAML::Node list() {
    expect('[');
    YAML::Node node(YAML::NodeType::Sequence);
    skip_spaces();
    if (!at_end() && peek() == ']') {
      ++pos_;
      return node;
    }
    for (;;) {
      node.push_back(element(false).node);
      skip_spaces();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (at_end()) fail(text_, pos_, "unclosed '['");
      expect(']');
      return node;
    }
  }

  YAML::Node dict() {
    const size_t open = pos_;
    expect('{');
    YAML::Node node(YAML::NodeType::Map);
    skip_spaces();
    if (!at_end() && peek() == '}') {
      ++pos_;
      return node;
    }
    for (;;) {
      skip_spaces();
      const size_t key_at = pos_;
      const YAML::Node key = primitive(/*in_dict_key=*/true);
      if (!key.IsScalar() || key.Scalar().empty()) fail(text_, key_at, "expected a dict key");
      skip_spaces();
      expect(':');
      node[key.Scalar()] = element(false).node;
      skip_spaces();
      if (!at_end() && peek() == ',') {
        ++pos_;
        continue;
      }
      if (at_end()) fail(text_, open, "unclosed '{'");
      expect('}');
      return node;
    }
  }

  // Unquoted text up to a delimiter; '${...}' is one unit; '\x' is a literal x.
  YAML::Node primitive(bool in_dict_key) {
    std::string out;
    size_t last_literal = 0;  // length of `out` up to its last escaped char
    while (!at_end()) {
      const char c = peek();
      if (c == '\\' && pos_ + 1 < text_.size()) {
        out += text_[pos_ + 1];
        pos_ += 2;
        last_literal = out.size();
        continue;
      }
      if (c == '$' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
        const size_t open = pos_;
        out += "${";
        pos_ += 2;
        int depth = 1;
        while (!at_end() && depth > 0) {
          if (peek() == '{') ++depth;
          if (peek() == '}') --depth;
          out += text_[pos_++];
        }
        if (depth > 0) fail(text_, open, "unclosed interpolation '${'");
        continue;
      }
      if (c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '(' || c == ')' ||
          c == '\'' || c == '"' || (in_dict_key && c == ':')) {
        break;
      }
      out += c;
      ++pos_;
    }
    // Outer whitespace goes; escaped characters stay.
    size_t keep = out.size();
    while (keep > last_literal && is_space(out[keep - 1]))
      --keep;
    out.resize(keep);
    if (last_literal > 0 || out.find("${") != std::string::npos) return string_node(out);
    return typed(out);
  }

  static YAML::Node typed(const std::string& value) {
    const std::string l = lower(value);
    if (value.empty()) return string_node("");
    if (l == "null") return YAML::Node(YAML::NodeType::Null);
    if (l == "true" || l == "false") return YAML::Node(l);
    long long i = 0;
    if (parse_int(value, &i)) return YAML::Node(std::to_string(i));
    double f = 0;
    if (parse_float(value, &f)) {
      if (std::isnan(f)) return YAML::Node(".nan");
      if (std::isinf(f)) return YAML::Node(f > 0 ? ".inf" : "-.inf");
      std::string cleaned;
      for (char c : value) {
        if (c != '_') cleaned += c;
      }
      return YAML::Node(cleaned);
    }
    return YAML::Node(value);
  }

  struct Argument {
    std::string name;  // "" for positional
    Parsed value;
  };

  std::vector<Argument> arguments() {
    std::vector<Argument> args;
    skip_spaces();
    if (!at_end() && peek() == ')') {
      ++pos_;
      return args;
    }
    for (;;) {
      skip_spaces();
      Argument arg;
      size_t end = pos_;
      while (end < text_.size() &&
             (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_')) {
        ++end;
      }
      size_t after = end;
      while (after < text_.size() && is_space(text_[after]))
        ++after;
      if (end > pos_ && after < text_.size() && text_[after] == '=') {
        arg.name = text_.substr(pos_, end - pos_);
        pos_ = after + 1;
      }
      arg.value = element(/*top_level=*/true);
      args.push_back(std::move(arg));
      skip_spaces();
      if (at_end()) fail(text_, pos_, "expected ')'");
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(')');
      return args;
    }
  }

  // Items of the arguments: one list argument gives its elements; otherwise
  // every (possibly swept) argument contributes its values.
  static std::vector<YAML::Node> items_of(const std::vector<Argument>& positional, bool* was_list) {
    *was_list = positional.size() == 1 && !positional[0].value.sweep &&
                positional[0].value.node.IsSequence();
    std::vector<YAML::Node> items;
    if (*was_list) {
      for (const auto& n : positional[0].value.node)
        items.push_back(n);
      return items;
    }
    for (const auto& a : positional) {
      for (const auto& v : a.value.values())
        items.push_back(v);
    }
    return items;
  }

  // Fails on a named argument that `name`() does not take.
  void check_named(const std::string& name, const std::vector<Argument>& named,
                   const std::vector<std::string>& allowed) const {
    for (const auto& a : named) {
      if (std::find(allowed.begin(), allowed.end(), a.name) == allowed.end()) {
        fail(text_, a.value.at,
             name + "() has no argument '" + a.name + "'" +
                 (allowed.empty() ? "" : "; valid: " + base::join(allowed)));
      }
    }
  }

  static const Parsed* named_value(const std::vector<Argument>& named,
                                   const std::string& arg_name) {
    for (const auto& a : named) {
      if (a.name == arg_name) return &a.value;
    }
    return nullptr;
  }

  // sort(...) and shuffle(...): the values reordered, a list staying a list.
  Parsed reorder(const std::string& name, const std::vector<Argument>& positional,
                 const std::vector<Argument>& named, size_t at) {
    check_named(name, named, {name == "sort" ? "reverse" : "seed"});
    if (positional.empty()) fail(text_, at, name + "() needs values");
    bool was_list = false;
    std::vector<YAML::Node> items = items_of(positional, &was_list);
    if (name == "sort") {
      const Parsed* reverse = named_value(named, "reverse");
      sort_values(&items, reverse != nullptr && lower(reverse->node.Scalar()) == "true");
    } else {
      const Parsed* seed = named_value(named, "seed");
      long long s = 0;
      if (seed != nullptr && !parse_int(seed->node.Scalar(), &s)) {
        fail(text_, seed->at, "shuffle() seed must be an integer");
      }
      shuffle_values(&items, static_cast<std::uint64_t>(s));
    }
    if (was_list) {
      YAML::Node list_node(YAML::NodeType::Sequence);
      for (const auto& n : items)
        list_node.push_back(n);
      return single(list_node, at);
    }
    return Parsed{true, items, YAML::Node(), at};
  }

  // int(...), float(...), str(...), bool(...): element-wise on a sweep.
  Parsed cast_all(const std::string& name, const std::vector<Argument>& positional,
                  const std::vector<Argument>& named, size_t at) {
    check_named(name, named, {});
    if (positional.size() != 1) fail(text_, at, name + "() takes one argument");
    const Parsed& in = positional[0].value;
    if (in.sweep) {
      Parsed out{true, {}, YAML::Node(), at};
      for (const auto& v : in.items)
        out.items.push_back(cast(name, v, in.at));
      return out;
    }
    return single(cast(name, in.node, in.at), at);
  }

  Parsed function(const std::string& name, size_t at) {
    const std::vector<Argument> args = arguments();
    std::vector<Argument> positional;
    std::vector<Argument> named;
    for (const auto& a : args)
      (a.name.empty() ? positional : named).push_back(a);
    if (name == "choice") {
      check_named(name, named, {});
      if (positional.empty()) fail(text_, at, "choice() needs at least one value");
      Parsed out{true, {}, YAML::Node(), at};
      for (const auto& a : positional) {
        if (a.value.sweep) {
          fail(text_, a.value.at,
               "choice() takes values, not another sweep (sweeps do not nest, as in Hydra); "
               "list the values, or sweep the key with that function alone");
        }
        for (const auto& v : a.value.values())
          out.items.push_back(v);
      }
      return out;
    }
    if (name == "range") return range(positional, named, at);
    if (name == "glob") return glob(positional, named, at);
    if (name == "sort" || name == "shuffle") return reorder(name, positional, named, at);
    if (name == "int" || name == "float" || name == "str" || name == "bool") {
      return cast_all(name, positional, named, at);
    }
    if (name == "interval") {
      fail(text_, at,
           "interval() describes a continuous search space, which a grid sweep cannot "
           "enumerate; use range(start, stop, step) or choice(...)");
    }
    fail(text_, at, "unknown function '" + name + "'; valid: " + kFunctions);
  }

  Parsed range(const std::vector<Argument>& positional, const std::vector<Argument>& named,
               size_t at) {
    const std::vector<std::string> names = {"start", "stop", "step"};
    if (positional.size() > 3) fail(text_, at, "range() takes at most 3 arguments");
    std::vector<const Parsed*> slots(3, nullptr);
    for (size_t i = 0; i < positional.size(); ++i)
      slots[i] = &positional[i].value;
    for (const auto& a : named) {
      const auto it = std::find(names.begin(), names.end(), a.name);
      if (it == names.end()) {
        fail(text_, a.value.at,
             "range() has no argument '" + a.name + "'; valid: start, stop, step");
      }
      const size_t i = static_cast<size_t>(it - names.begin());
      if (slots[i] != nullptr) fail(text_, a.value.at, "range() got '" + a.name + "' twice");
      slots[i] = &a.value;
    }
    // range(stop) counts from 0, as in Python.
    if (slots[0] != nullptr && slots[1] == nullptr && positional.size() == 1 && named.empty()) {
      slots[1] = slots[0];
      slots[0] = nullptr;
    }
    if (slots[1] == nullptr) fail(text_, at, "range() needs a stop: range(start, stop[, step])");
    double number[3] = {0, 0, 1};
    bool all_ints = true;
    for (size_t i = 0; i < 3; ++i) {
      if (slots[i] == nullptr) continue;
      const YAML::Node& n = slots[i]->node;
      long long iv = 0;
      double fv = 0;
      if (slots[i]->sweep || !n.IsScalar() || n.Tag() == "!") {
        fail(text_, slots[i]->at, "range() takes numbers");
      } else if (parse_int(n.Scalar(), &iv)) {
        number[i] = static_cast<double>(iv);
      } else if (parse_float(n.Scalar(), &fv) && std::isfinite(fv)) {
        number[i] = fv;
        all_ints = false;
      } else {
        fail(text_, slots[i]->at, "range() takes numbers");
      }
    }
    const double start = number[0], stop = number[1], step = number[2];
    if (step == 0) fail(text_, at, "range() step must not be zero");
    Parsed out{true, {}, YAML::Node(), at};
    for (long long k = 0;; ++k) {
      const double v = start + static_cast<double>(k) * step;
      if ((step > 0 && v >= stop) || (step < 0 && v <= stop)) break;
      if (k >= 100000) fail(text_, at, "range() gives more than 100000 values");
      out.items.emplace_back(all_ints ? std::to_string(static_cast<long long>(v)) : number_text(v));
    }
    if (out.items.empty()) fail(text_, at, "range() is empty");
    return out;
  }

  Parsed glob(const std::vector<Argument>& positional, const std::vector<Argument>& named,
              size_t at) {
    std::vector<std::string> include, exclude;
    const auto patterns = [&](const Parsed& p, std::vector<std::string>* into) {
      if (p.node.IsSequence()) {
        for (const auto& n : p.node)
          into->push_back(n.Scalar());
      } else if (p.node.IsScalar()) {
        into->push_back(p.node.Scalar());
      } else {
        fail(text_, p.at, "glob() takes patterns: a string or a list of strings");
      }
    };
    if (positional.size() > 2) fail(text_, at, "glob() takes include and exclude");
    if (!positional.empty()) patterns(positional[0].value, &include);
    if (positional.size() > 1) patterns(positional[1].value, &exclude);
    for (const auto& a : named) {
      if (a.name == "include") {
        patterns(a.value, &include);
      } else if (a.name == "exclude") {
        patterns(a.value, &exclude);
      } else {
        fail(text_, a.value.at, "glob() has no argument '" + a.name + "'; valid: include, exclude");
      }
    }
    if (include.empty()) fail(text_, at, "glob() needs an include pattern, as in glob(*)");
    if (!context_.group_options) {
      fail(text_, at, "glob() selects options of a config group, which is only known in a sweep");
    }
    const std::vector<std::string> options = context_.group_options(key_);
    if (options.empty()) fail(text_, at, "glob(): '" + key_ + "' is not a config group");
    const auto matches = [](const std::string& option, const std::vector<std::string>& list) {
      return std::any_of(list.begin(), list.end(), [&](const std::string& pattern) {
        return fnmatch(pattern.c_str(), option.c_str(), 0) == 0;
      });
    };
    Parsed out{true, {}, YAML::Node(), at};
    for (const auto& option : options) {
      if (matches(option, include) && !matches(option, exclude)) out.items.emplace_back(option);
    }
    if (out.items.empty()) {
      fail(text_, at,
           "glob() matches no option of '" + key_ + "'; options: " + base::join(options));
    }
    return out;
  }

  YAML::Node cast(const std::string& to, const YAML::Node& v, size_t at) {
    if (v.IsSequence()) {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : v)
        out.push_back(cast(to, item, at));
      return out;
    }
    if (v.IsMap()) {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& item : v)
        out[item.first.Scalar()] = cast(to, item.second, at);
      return out;
    }
    const std::string s = v.IsNull() ? "null" : v.Scalar();
    const std::string l = lower(s);
    long long i = 0;
    double f = 0;
    const bool is_bool = !is_string(v) && (l == "true" || l == "false");
    if (to == "str") return string_node(s);
    if (to == "bool") {
      if (l == "true" || l == "false") return YAML::Node(l);
      if (parse_float(s, &f) && !std::isnan(f)) return YAML::Node(f != 0 ? "true" : "false");
      fail(text_, at, "bool() cannot convert '" + s + "'");
    }
    if (to == "int") {
      if (is_bool) return YAML::Node(l == "true" ? "1" : "0");
      if (parse_int(s, &i)) return YAML::Node(std::to_string(i));
      if (parse_float(s, &f) && std::isfinite(f)) {
        return YAML::Node(std::to_string(static_cast<long long>(std::trunc(f))));
      }
      fail(text_, at, "int() cannot convert '" + s + "'");
    }
    // float
    if (is_bool) return YAML::Node(l == "true" ? "1.0" : "0.0");
    if (parse_float(s, &f)) {
      if (std::isnan(f)) return YAML::Node(".nan");
      if (std::isinf(f)) return YAML::Node(f > 0 ? ".inf" : "-.inf");
      return YAML::Node(number_text(f));
    }
    fail(text_, at, "float() cannot convert '" + s + "'");
  }

  // yaml-cpp's Node::operator= writes through to the shared node, so values
  // are reordered by index into a fresh vector, never swapped in place.
  static std::vector<YAML::Node> reordered(const std::vector<YAML::Node>& items,
                                           const std::vector<size_t>& order) {
    std::vector<YAML::Node> out;
    for (size_t i : order)
      out.push_back(items[i]);
    return out;
  }

  static void sort_values(std::vector<YAML::Node>* items, bool reverse) {
    const bool numeric = std::all_of(items->begin(), items->end(), [](const YAML::Node& n) {
      double f = 0;
      return n.IsScalar() && n.Tag() != "!" && parse_float(n.Scalar(), &f);
    });
    std::vector<double> numbers;
    std::vector<std::string> texts;
    for (const auto& n : *items) {
      double f = 0;
      if (numeric) parse_float(n.Scalar(), &f);
      numbers.push_back(f);
      texts.push_back(render_value(n));
    }
    std::vector<size_t> order(items->size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (reverse) std::swap(a, b);
      return numeric ? numbers[a] < numbers[b] : texts[a] < texts[b];
    });
    *items = reordered(*items, order);
  }

  // Fisher-Yates with SplitMix64: the same seed gives the same order everywhere.
  static void shuffle_values(std::vector<YAML::Node>* items, std::uint64_t seed) {
    base::SplitMix64 rng(seed);
    std::vector<size_t> order(items->size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    for (size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.next() % i]);
    *items = reordered(*items, order);
  }

  const std::string& text_;
  size_t pos_;
  std::string key_;
  const ParseContext& context_;
};

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
  std::string body = lower(text);
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
  // '_' separates digits (1_000.5), nothing else.
  std::string cleaned;
  const std::string l = lower(text);
  for (size_t i = 0; i < l.size(); ++i) {
    if (l[i] != '_') {
      cleaned += l[i];
      continue;
    }
    if (i == 0 || i + 1 == l.size() || !std::isdigit(static_cast<unsigned char>(l[i - 1])) ||
        !std::isdigit(static_cast<unsigned char>(l[i + 1]))) {
      return false;
    }
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
    if (value.Tag() != "!") return s;
    long long i = 0;
    double f = 0;
    const std::string l = lower(s);
    const bool needs_quotes = s.empty() || parse_int(s, &i) || parse_float(s, &f) ||
                              s.find_first_of(",()[]{}'\"\\:=") != std::string::npos ||
                              l == "true" || l == "false" || l == "null" || is_space(s.front()) ||
                              is_space(s.back());
    if (!needs_quotes) return s;
    std::string quoted = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "'";
  }
  std::string out;
  if (value.IsSequence()) {
    out = "[";
    for (size_t i = 0; i < value.size(); ++i)
      out += (i ? ", " : "") + render_value(value[i]);
    return out + "]";
  }
  out = "{";
  bool first = true;
  for (const auto& item : value) {
    out += (first ? "" : ", ") + item.first.Scalar() + ": " + render_value(item.second);
    first = false;
  }
  return out + "}";
}

std::string Override::with_value(const YAML::Node& v) const {
  const std::string prefix = action == OverrideAction::kAdd        ? "+"
                             : action == OverrideAction::kForceAdd ? "++"
                             : action == OverrideAction::kDelete   ? "~"
                                                                   : "";
  return prefix + key + (package.empty() ? "" : "@" + package) + "=" + render_value(v);
}

Override parse_override(const std::string& text, const ParseContext& context) {
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
  std::string key =
      text.substr(pos, equals == std::string::npos ? std::string::npos : equals - pos);
  while (!key.empty() && is_space(key.back()))
    key.pop_back();
  if (key.empty()) fail(text, pos, "expected a key, as in key=value");
  for (size_t i = 0; i < key.size(); ++i) {
    if (!valid_key_char(key[i])) {
      fail(text, pos + i,
           "'" + character_at(key, i) + "' cannot appear in a key (letters, digits, _ - . / @)");
    }
  }
  const size_t at_sign = key.find('@');
  if (at_sign != std::string::npos) {
    o.package = key.substr(at_sign + 1);
    key = key.substr(0, at_sign);
    if (key.empty() || o.package.find('@') != std::string::npos) {
      fail(text, pos + at_sign, "expected group@package, as in attention@decoder.attention=dot");
    }
  }
  if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos ||
      key.front() == '/' || key.back() == '/' ||
      (key.find('/') != std::string::npos && key.find('.') != std::string::npos)) {
    fail(text, pos, "a key is names joined by single dots (train.lr) or a group path (group/sub)");
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
  Parsed parsed = ValueParser(text, equals + 1, key, context).parse();
  if (parsed.sweep) {
    o.sweep = parsed.items;
    o.value = o.sweep.front();
  } else {
    o.value = parsed.node;
  }
  return o;
}

}  // namespace attnlab::config
