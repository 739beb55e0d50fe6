// Composition of a run's configuration, Hydra style: configs/config.yaml holds
// a `defaults:` list naming one option per config group (a folder; an option
// is a file in it) and `_self_` (last unless placed). Entries may be
// `optional`, `null` (the group is left out), `group@package` (placed at that
// package) or nested groups (`group/sub`); an option file may start with
// `# @package _global_|_group_|a.b` and may have a defaults list of its own,
// whose groups are relative to its group unless written `/group`. An
// experiment (experiments/NAME.yaml) may change group choices with
// `override /group: option` and set values; then the command-line overrides
// apply, in order (`group=option` also reaches nested entries, `+group=option`
// adds an entry, `~group` removes one).
// Interpolations (${a.b}, ${env:VAR}, ${env:VAR,default}) are resolved last.
//
// Every key of the result remembers where it came from (file:line:column or
// the override), so that later validation errors can point at it.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/override.h"

namespace attnlab::config {

struct ComposeRequest {
  std::filesystem::path config_dir = "configs";  // holds config.yaml and the group folders
  std::filesystem::path experiment_dir = "experiments";
  std::string experiment;           // experiment name or path (experiment_file); "" for none
  std::vector<Override> overrides;  // applied last, in order; no sweeps
};

struct Composed {
  YAML::Node root;                             // the composed tree, `defaults` removed
  std::map<std::string, std::string> origin;   // dotted key -> where its value was set
  std::map<std::string, std::string> choices;  // group -> chosen option
  std::vector<std::string> overrides;          // the overrides as typed
  YAML::Node experiment_sweep;   // the experiment's `sweep:` (or hydra.sweeper.params) map
  YAML::Node experiment_report;  // the experiment's `report:` settings, for the report layer
  YAML::Node experiment_claims;  // the experiment's `claims:` list, checked by its report

  // Where `key` was set, or "" if unknown. Looks up parents for nested keys.
  std::string where(const std::string& key) const;
};

// Composes the configuration. Throws ConfigError naming the file, position or
// override at fault, with the valid choices.
Composed compose(const ComposeRequest& request);

// The options of a group: file names under config_dir/group without ".yaml".
std::vector<std::string> group_options(const std::filesystem::path& config_dir,
                                       const std::string& group);

// The experiments available: names of experiment_dir/*.yaml.
std::vector<std::string> experiment_names(const std::filesystem::path& experiment_dir);

// The file of experiment `experiment`: experiment_dir/NAME.yaml for a name,
// or the path itself when it names a file (holds a '/' or ends in .yaml).
std::filesystem::path experiment_file(const std::filesystem::path& experiment_dir,
                                      const std::string& experiment);
// Its name: the file's stem for a path, else itself.
std::string experiment_name(const std::string& experiment);

// Loads a YAML file; a syntax error becomes a ConfigError with file:line:column.
YAML::Node load_yaml_file(const std::filesystem::path& file);

// Parses YAML text as a config file named `name` (for messages): a map of keys.
YAML::Node parse_yaml(const std::string& text, const std::filesystem::path& name);

}  // namespace attnlab::config
