// Command-line overrides in Hydra 1.3's grammar. An override is one of
//   key=value      change a key that exists (or select a group option)
//   +key=value     add a key that must not exist yet
//   ++key=value    add or change
//   ~key[=value]   delete a key (only if it has that value, when given)
// where key is a dotted path (list items by index: a.list.0), a group
// (attention), a nested group (group/sub) or a group with a package
// (group@pkg). Values are typed like Hydra's: ints (sign, '_' separators),
// floats ('1e-05', 'inf', 'nan', any case), bools, 'null', lists and dicts
// ('[1, [2, 3]]', '{a: 1}'), strings otherwise ('123abc'); quoted text is
// always a string and never a sweep; a backslash escapes the next character;
// outer whitespace is stripped, inner kept; '${a.b}' and '${env:VAR,default}'
// stay text here and are resolved after composition.
//
// A sweep value (only for `attnlab sweep`) is 'a,b,c', 'choice(a,b)',
// 'range(start, stop[, step])' (named arguments, negative and float steps,
// half-open), 'glob(include[, exclude])' over a group's options,
// 'sort(..., reverse=true)', 'shuffle(..., seed=N)'; the casts 'int()',
// 'float()', 'str()', 'bool()' apply element-wise. 'interval()' is rejected:
// a grid sweep needs discrete values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

namespace attnlab::config {

enum class OverrideAction { kSet, kAdd, kForceAdd, kDelete };

struct Override {
  std::string text;  // as typed on the command line
  OverrideAction action = OverrideAction::kSet;
  std::string key;                // dotted path, or a group name (without @package)
  std::string package;            // the '@pkg' part of 'group@pkg=option'; "" if none
  bool has_value = false;         // false only for a bare '~key'
  YAML::Node value;               // the typed value when has_value
  std::vector<YAML::Node> sweep;  // the values of a sweep; empty for a plain value

  bool is_sweep() const { return !sweep.empty(); }
  // The override with `value` in place of the sweep, as Hydra prints a job.
  std::string with_value(const YAML::Node& value) const;
};

// What parsing needs to know about the config tree: for glob(), the options
// of a group. Without it, glob() is an error.
struct ParseContext {
  std::function<std::vector<std::string>(const std::string& group)> group_options;
};

// Parses one override. Throws ConfigError with the text, a caret under the
// offending position and what was expected.
Override parse_override(const std::string& text, const ParseContext& context = {});

// Renders a typed value back in override syntax ('dot', '0.001', '[1, 2]').
std::string render_value(const YAML::Node& value);

// True when a plain scalar's text reads as an integer/float in Hydra's grammar.
bool parse_int(const std::string& text, long long* out);
bool parse_float(const std::string& text, double* out);

}  // namespace attnlab::config
