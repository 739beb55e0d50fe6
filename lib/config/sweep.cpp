// Sweep expansion: overrides and an experiment's sweep into one override
// list per job.
#include "config/sweep.h"

#include <memory>

#include "config/errors.h"
#include "config/override.h"

namespace attnlab::config {
namespace {

struct Entry {
  Override override;
  std::vector<YAML::Node> values;  // one value for a fixed override
  bool swept = false;              // several values, or a sweep function
};

Entry entry_for(Override o) {
  const bool swept = o.is_sweep();
  std::vector<YAML::Node> values = swept ? o.sweep : std::vector<YAML::Node>{o.value};
  return Entry{std::move(o), std::move(values), swept};
}

// Entries are held by pointer: replacing one must not assign YAML nodes,
// whose operator= writes through to every node sharing the value.
using Entries = std::vector<std::shared_ptr<const Entry>>;

void add_or_replace(Entries* entries, Entry entry) {
  auto fresh = std::make_shared<const Entry>(std::move(entry));
  for (auto& existing : *entries) {
    if (existing->override.key == fresh->override.key) {
      existing = fresh;
      return;
    }
  }
  entries->push_back(fresh);
}

}  // namespace

std::vector<SweepJob> expand_sweep(const YAML::Node& experiment_sweep,
                                   const std::vector<std::string>& overrides,
                                   const ParseContext& context) {
  Entries entries;
  if (experiment_sweep.IsDefined() && !experiment_sweep.IsNull()) {
    if (!experiment_sweep.IsMap()) {
      throw ConfigError(
          "the experiment's 'sweep' must map keys to values, as in\n  sweep:\n"
          "    attention: none,dot,general");
    }
    for (const auto& item : experiment_sweep) {
      const std::string key = item.first.as<std::string>();
      if (!item.second.IsSequence()) {
        add_or_replace(&entries, entry_for(parse_override(key + "=" + item.second.as<std::string>(),
                                                          context)));
        continue;
      }
      // A YAML list is a sweep over its items.
      Entry entry{parse_override(key + "=" + render_value(item.second[0])), {}, true};
      for (const auto& v : item.second)
        entry.values.push_back(v);
      add_or_replace(&entries, std::move(entry));
    }
  }
  for (const auto& text : overrides)
    add_or_replace(&entries, entry_for(parse_override(text, context)));

  std::vector<SweepJob> jobs(1);
  for (const auto& entry : entries) {
    std::vector<SweepJob> next;
    for (const auto& job : jobs) {
      for (const auto& value : entry->values) {
        SweepJob extended = job;
        // A plain override keeps the text it was typed as.
        extended.overrides.push_back(entry->swept ? entry->override.with_value(value)
                                                  : entry->override.text);
        next.push_back(std::move(extended));
      }
    }
    jobs = std::move(next);
  }
  return jobs;
}

}  // namespace attnlab::config
