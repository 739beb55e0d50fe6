// Sweep expansion: a list of overrides, some with several values, becomes one
// list of plain overrides per job. As in Hydra's basic sweeper, jobs are the
// Cartesian product in the order keys first appear, the last key varying
// fastest; a key given twice keeps its last value, and the command line
// replaces an experiment's sweep for the same key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/override.h"

namespace attnlab::config {

struct SweepJob {
  std::vector<std::string> overrides;  // plain overrides, one value per key
};

// `experiment_sweep` is an experiment's `sweep:` map (key -> "a,b,c" or a
// list), or undefined. Throws ConfigError for malformed overrides.
std::vector<SweepJob> expand_sweep(const YAML::Node& experiment_sweep,
                                   const std::vector<std::string>& overrides,
                                   const ParseContext& context = {});

}  // namespace attnlab::config
