// Command-line overrides in Hydra's grammar (first cut; grows into Hydra 1.3's
// full grammar). An override is one of
//   key=value      change a key that exists (or select a group option)
//   +key=value     add a key that must not exist yet
//   ++key=value    add or change
//   ~key[=value]   delete a key (only if it has that value, when given)
// Values are typed like Hydra's: ints (sign, '_' separators), floats ('1e-05',
// 'inf', 'nan'), bools, 'null', flow lists/dicts ('[1,2]'), strings otherwise;
// quoted text is always a string. A sweep value is 'a,b,c', 'choice(a,b)' or
// 'range(start,stop[,step])' and only makes sense for `attnlab sweep`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace attnlab::config {

enum class OverrideAction { kSet, kAdd, kForceAdd, kDelete };

struct Override {
  std::string text;  // as typed on the command line
  OverrideAction action = OverrideAction::kSet;
  std::string key;                // dotted path, or a group name
  bool has_value = false;         // false only for a bare '~key'
  YAML::Node value;               // the typed value when has_value
  std::vector<YAML::Node> sweep;  // the values of a sweep; empty for a plain value

  bool is_sweep() const { return !sweep.empty(); }
  // The override with `value` in place of the sweep, as Hydra prints a job.
  std::string with_value(const YAML::Node& value) const;
};

// Parses one override. Throws ConfigError with the text, a caret under the
// offending position and what was expected.
Override parse_override(const std::string& text);

// Renders a typed value back in override syntax ('dot', '0.001', '[1, 2]').
std::string render_value(const YAML::Node& value);

// True when a plain scalar's text reads as an integer/float in Hydra's grammar.
bool parse_int(const std::string& text, long long* out);
bool parse_float(const std::string& text, double* out);

}  // namespace attnlab::config
