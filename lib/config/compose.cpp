// Defaults-list composition and override application.
#include "config/compose.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/text.h"
#include "config/errors.h"
#include "config/interpolate.h"
#include "config/tree.h"

namespace attnlab::config {
namespace fs = std::filesystem;
namespace {

std::string position(const fs::path& file, const YAML::Mark& mark) {
  std::ostringstream out;
  out << file.string();
  if (!mark.is_null()) out << ":" << mark.line + 1 << ":" << mark.column + 1;
  return out.str();
}

void record_origins(const YAML::Node& node, const std::string& prefix, const fs::path& file,
                    std::map<std::string, std::string>* origin) {
  if (!prefix.empty()) (*origin)[prefix] = position(file, node.Mark());
  if (!node.IsMap()) return;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    record_origins(item.second, prefix.empty() ? key : prefix + "." + key, file, origin);
  }
}

// Deep merge: maps merge key by key, anything else replaces.
void merge_into(YAML::Node target, const YAML::Node& source) {
  for (const auto& item : source) {
    const std::string key = item.first.as<std::string>();
    YAML::Node existing = target[key];
    if (existing.IsMap() && item.second.IsMap()) {
      merge_into(existing, item.second);
    } else {
      target[key] = YAML::Clone(item.second);
    }
  }
}

std::vector<std::string> map_keys(const YAML::Node& node) {
  std::vector<std::string> keys;
  if (node.IsMap()) {
    for (const auto& item : node)
      keys.push_back(item.first.as<std::string>());
  }
  return keys;
}

struct DefaultsEntry {
  std::string group;    // "" for _self_; may be nested ("model/encoder")
  std::string package;  // from 'group@package'; "" for the default
  std::string option;   // "" when the group is disabled with null
  bool is_override = false;
  bool optional = false;  // a missing option file is skipped, not an error
  bool absolute = false;  // '/group': not relative to the containing option's group
  std::string where;

  // How overrides name this entry: "group" or "group@package".
  std::string name() const { return package.empty() ? group : group + "@" + package; }
};

std::vector<DefaultsEntry> read_defaults(const YAML::Node& defaults, const fs::path& file) {
  std::vector<DefaultsEntry> entries;
  if (!defaults.IsDefined()) return entries;
  if (!defaults.IsSequence()) {
    throw ConfigError(position(file, defaults.Mark()) +
                      ": 'defaults' must be a list, as in\n  defaults:\n    - task: reverse\n"
                      "    - _self_");
  }
  for (const auto& item : defaults) {
    DefaultsEntry entry;
    entry.where = position(file, item.Mark());
    if (item.IsScalar() && item.Scalar() == "_self_") {
      entries.push_back(entry);
      continue;
    }
    if (!item.IsMap() || item.size() != 1) {
      throw ConfigError(entry.where +
                        ": a defaults entry is '_self_' or '[optional] group[@package]: option' "
                        "(or 'override /group: option')");
    }
    std::string group = item.begin()->first.as<std::string>();
    for (const auto& [word, flag] : {std::pair<std::string, bool*>{"override ", &entry.is_override},
                                     {"optional ", &entry.optional}}) {
      if (group.rfind(word, 0) == 0) {
        *flag = true;
        group = group.substr(word.size());
      }
    }
    if (!group.empty() && group.front() == '/') {
      entry.absolute = true;
      group = group.substr(1);
    }
    const size_t at = group.find('@');
    if (at != std::string::npos) {
      entry.package = group.substr(at + 1);
      group = group.substr(0, at);
    }
    entry.group = group;
    const YAML::Node option = item.begin()->second;
    entry.option = option.IsNull() ? "" : option.as<std::string>();
    entries.push_back(entry);
  }
  return entries;
}

// The package line of a group file ('# @package _global_' before any key), or "".
std::string package_directive(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos) continue;
    if (line[start] != '#') break;
    const size_t at = line.find("@package", start);
    if (at == std::string::npos) continue;
    std::string package = line.substr(at + 8);
    package.erase(0, package.find_first_not_of(" \t"));
    package.erase(package.find_last_not_of(" \t\r") + 1);
    return package;
  }
  return "";
}

// Where a group option's keys go: the entry's package, else the file's
// '@package' line, else the group path with dots. "" is the root.
std::string target_package(const DefaultsEntry& entry, const fs::path& file) {
  std::string package = entry.package.empty() ? package_directive(file) : entry.package;
  std::string group_path = entry.group;
  std::replace(group_path.begin(), group_path.end(), '/', '.');
  if (package.empty() || package == "_group_") return group_path;
  if (package == "_global_") return "";
  return package;
}

bool is_group(const fs::path& config_dir, const std::string& name) {
  return !name.empty() && name.find('.') == std::string::npos &&
         fs::is_directory(config_dir / name);
}

void check_option(const fs::path& config_dir, const std::string& group, const std::string& option,
                  const std::string& where) {
  if (option.empty() || fs::is_regular_file(config_dir / group / (option + ".yaml"))) return;
  const auto options = group_options(config_dir, group);
  throw ConfigError(where + ": Could not find '" + group + "/" + option + "'" +
                    base::did_you_mean(option, options) + "\nAvailable options in '" + group +
                    "': " + base::join(options));
}

// Deletes the key of `~key` or `~key=value` (only if it has that value).
void delete_value(const Override& o, const std::vector<std::string>& parts,
                  const YAML::Node& existing, Composed* composed) {
  if (!existing.IsDefined())
    throw ConfigError("Could not delete from config. '" + o.key + "' does not exist.");
  if (o.has_value && render_value(o.value) != render_value(existing)) {
    throw ConfigError("Could not delete from config. The value of '" + o.key + "' is " +
                      render_value(existing) + " and not " + render_value(o.value) + ".");
  }
  YAML::Node parent = find_node(composed->root, {parts.begin(), parts.end() - 1});
  if (parent.IsSequence()) {
    parent.remove(static_cast<std::size_t>(list_index(parent, parts.back())));
  } else {
    parent.remove(parts.back());
  }
  composed->origin.erase(o.key);
}

// The map or list that holds the override's key, with the maps that are
// missing on the way created.
YAML::Node holder_of(const Override& o, const std::vector<std::string>& parts, Composed* composed) {
  YAML::Node current;
  current.reset(composed->root);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (current.IsSequence()) {
      const long long index = list_index(current, parts[i]);
      if (index < 0) {
        throw ConfigError("Could not override '" + o.key + "': '" + parts[i] +
                          "' is not an index of the list (it has " +
                          std::to_string(current.size()) + " items)");
      }
      current.reset(current[static_cast<size_t>(index)]);
      continue;
    }
    YAML::Node next = current[parts[i]];
    if (next.IsDefined() && !next.IsMap() && !next.IsSequence()) {
      throw ConfigError("Could not override '" + o.key + "': '" + parts[i] +
                        "' holds a value, not a group of keys");
    }
    if (!next.IsDefined()) current[parts[i]] = YAML::Node(YAML::NodeType::Map);
    current.reset(current[parts[i]]);
  }
  return current;
}

void apply_value_override(const Override& o, Composed* composed) {
  const auto parts = split_key(o.key);
  YAML::Node existing = find_node(composed->root, parts);
  const bool exists = existing.IsDefined();
  if (o.action == OverrideAction::kDelete) return delete_value(o, parts, existing, composed);
  if (o.action == OverrideAction::kSet && !exists) {
    // Find the deepest existing parent to suggest siblings.
    std::vector<std::string> parent(parts.begin(), parts.end() - 1);
    const YAML::Node p = find_node(composed->root, parent);
    throw ConfigError("Could not override '" + o.key + "'. To append to your config use +" +
                      o.text + "\nKey '" + o.key + "' is not in the config" +
                      base::did_you_mean(parts.back(), map_keys(p)) +
                      (p.IsMap() ? "; valid keys here: " + base::join(map_keys(p)) : ""));
  }
  if (o.action == OverrideAction::kAdd && exists) {
    throw ConfigError("Could not append to config. An item is already at '" + o.key + "'. Use " +
                      o.key + "=" + render_value(o.value) + " or ++" + o.key + "=" +
                      render_value(o.value));
  }
  YAML::Node holder = holder_of(o, parts, composed);
  if (holder.IsSequence()) {
    const long long index = list_index(holder, parts.back());
    if (index < 0) {
      throw ConfigError("Could not override '" + o.key +
                        "': a list item is set by its index, 0 to " +
                        std::to_string(static_cast<long long>(holder.size()) - 1));
    }
    holder[static_cast<size_t>(index)] = YAML::Clone(o.value);
  } else {
    holder[parts.back()] = YAML::Clone(o.value);
  }
  composed->origin[o.key] = "override '" + o.text + "'";
}

}  // namespace

std::string Composed::where(const std::string& key) const {
  std::string k = key;
  while (!k.empty()) {
    const auto it = origin.find(k);
    if (it != origin.end()) return it->second;
    const auto dot = k.rfind('.');
    if (dot == std::string::npos) break;
    k = k.substr(0, dot);
  }
  return "";
}

namespace {

// Every map key, at any depth, must be a plain scalar: the rest of the config
// layer reads keys as names.
void check_keys(const YAML::Node& node, const fs::path& name) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      if (!item.first.IsScalar()) {
        throw ConfigError(position(name, item.first.Mark()) + ": keys must be plain names");
      }
      check_keys(item.second, name);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node)
      check_keys(item, name);
  }
}

}  // namespace

YAML::Node parse_yaml(const std::string& text, const fs::path& name) {
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) {
      throw ConfigError(position(name, node.Mark()) + ": a config file must be a map of keys");
    }
    check_keys(node, name);
    return node;
  } catch (const YAML::Exception& e) {
    throw ConfigError(position(name, e.mark) + ": malformed YAML: " + e.msg);
  }
}

YAML::Node load_yaml_file(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw ConfigError(file.string() + ": no such file");
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw ConfigError(file.string() + ": cannot be read");
  return parse_yaml(text.str(), file);
}

std::vector<std::string> group_options(const fs::path& config_dir, const std::string& group) {
  std::vector<std::string> options;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_dir / group, ec)) {
    if (entry.path().extension() == ".yaml") options.push_back(entry.path().stem().string());
  }
  std::sort(options.begin(), options.end());
  return options;
}

namespace {

bool names_a_path(const std::string& experiment) {
  return experiment.find('/') != std::string::npos ||
         (experiment.size() > 5 && experiment.compare(experiment.size() - 5, 5, ".yaml") == 0);
}

}  // namespace

fs::path experiment_file(const fs::path& experiment_dir, const std::string& experiment) {
  return names_a_path(experiment) ? fs::path(experiment) : experiment_dir / (experiment + ".yaml");
}

std::string experiment_name(const std::string& experiment) {
  return names_a_path(experiment) ? fs::path(experiment).stem().string() : experiment;
}

std::vector<std::string> experiment_names(const fs::path& experiment_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(experiment_dir, ec)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

std::vector<DefaultsEntry>::iterator find_entry(std::vector<DefaultsEntry>& defaults,
                                                const std::string& name) {
  return std::find_if(defaults.begin(), defaults.end(),
                      [&](const DefaultsEntry& e) { return !e.group.empty() && e.name() == name; });
}

[[noreturn]] void no_such_entry(const std::vector<DefaultsEntry>& defaults, const std::string& name,
                                const std::string& where, const std::string& how_to_add) {
  std::vector<std::string> names;
  for (const auto& e : defaults) {
    if (!e.group.empty()) names.push_back(e.name());
  }
  throw ConfigError(where + ": Could not override '" + name + "'. No match in the defaults list" +
                    base::did_you_mean(name, names) + "; entries: " + base::join(names) +
                    how_to_add);
}

// A change to a defaults entry that may sit in a nested defaults list, so it
// can only be matched while the lists are expanded.
struct PendingChange {
  std::string option;
  std::string where;
  bool remove = false;
  bool used = false;
  std::string hint;  // appended to the error when nothing matches
};

// Expands defaults lists depth first (an option file may have its own, with
// group paths relative to its group unless they start with '/') and merges
// every config in order, each `_self_` where its list places it (last when
// not placed). An option file's 'override /group: option' changes the choice
// of a group that comes later in the defaults list, unless the command line
// or the experiment chose that group (`chosen`): they win.
class DefaultsMerger {
 public:
  DefaultsMerger(const fs::path& config_dir, Composed* composed,
                 std::map<std::string, PendingChange>* pending, std::set<std::string> chosen)
      : config_dir_(config_dir),
        composed_(composed),
        pending_(pending),
        chosen_(std::move(chosen)) {}

  void merge(const std::vector<DefaultsEntry>& entries, const std::string& parent_group,
             const YAML::Node& self, const fs::path& self_file, const std::string& self_package,
             int depth) {
    if (depth > 16) {
      throw ConfigError(self_file.string() + ": defaults lists nest more than 16 deep (a loop?)");
    }
    for (DefaultsEntry entry : entries) {
      if (entry.group.empty()) {
        merge_at(self, self_package, self_file);
        continue;
      }
      if (!entry.absolute && !parent_group.empty()) entry.group = parent_group + "/" + entry.group;
      if (!is_group(config_dir_, entry.group)) {
        throw ConfigError(entry.where + ": no config group '" + entry.group + "' (no folder " +
                          (config_dir_ / entry.group).string() + ")");
      }
      if (entry.is_override) {
        override_later(entry);
        continue;
      }
      merged_.insert(entry.name());
      const auto change = pending_->find(entry.name());
      if (change != pending_->end()) {
        change->second.used = true;
        if (change->second.remove) continue;
        entry.option = change->second.option;
        entry.where = change->second.where;
      }
      composed_->choices[entry.name()] = entry.option;
      if (entry.option.empty()) continue;
      const fs::path file = config_dir_ / entry.group / (entry.option + ".yaml");
      if (entry.optional && !fs::is_regular_file(file)) continue;
      check_option(config_dir_, entry.group, entry.option, entry.where);
      YAML::Node body = load_yaml_file(file);
      std::vector<DefaultsEntry> children = read_defaults(body["defaults"], file);
      body.remove("defaults");
      const std::string package = target_package(entry, file);
      if (children.empty()) {
        merge_at(body, package, file);
        continue;
      }
      if (std::none_of(children.begin(), children.end(),
                       [](const DefaultsEntry& e) { return e.group.empty(); })) {
        children.push_back(DefaultsEntry{});
      }
      merge(children, entry.group, body, file, package, depth + 1);
    }
  }

 private:
  void override_later(const DefaultsEntry& entry) {
    check_option(config_dir_, entry.group, entry.option, entry.where);
    if (merged_.count(entry.name()) != 0) {
      throw ConfigError(entry.where + ": 'override /" + entry.name() +
                        "' comes after that group was merged; an option file can override only "
                        "groups that come later in the defaults list");
    }
    if (chosen_.count(entry.name()) != 0) return;
    (*pending_)[entry.name()] = PendingChange{entry.option, entry.where, false, false, ""};
  }

  void merge_at(const YAML::Node& body, const std::string& package, const fs::path& file) {
    YAML::Node wrapped = body;
    const auto parts = split_key(package);
    for (auto part = parts.rbegin(); part != parts.rend(); ++part) {
      YAML::Node outer(YAML::NodeType::Map);
      outer[*part] = wrapped;
      wrapped.reset(outer);
    }
    merge_into(composed_->root, wrapped);
    record_origins(body, package, file, &composed_->origin);
  }

  fs::path config_dir_;
  Composed* composed_;
  std::map<std::string, PendingChange>* pending_;
  std::set<std::string> chosen_;  // groups the command line or the experiment chose
  std::set<std::string> merged_;  // groups already merged
};

}  // namespace

namespace {

// What the experiment and the command line change in the defaults list:
// entries of nested lists wait in `pending` until merging reaches them.
struct DefaultsChanges {
  std::map<std::string, PendingChange> pending;
  std::set<std::string> chosen;  // groups the command line or the experiment chose
};

// config.yaml's defaults list (with _self_ last unless placed), checked.
// Leaves config.yaml's own values in `primary`.
std::vector<DefaultsEntry> primary_defaults(const fs::path& config_dir, YAML::Node* primary) {
  const fs::path primary_file = config_dir / "config.yaml";
  if (!fs::is_regular_file(primary_file)) {
    throw ConfigError(primary_file.string() +
                      ": no such file (use --config-dir to point at the folder that holds "
                      "config.yaml)");
  }
  *primary = load_yaml_file(primary_file);
  std::vector<DefaultsEntry> defaults = read_defaults((*primary)["defaults"], primary_file);
  primary->remove("defaults");
  if (std::none_of(defaults.begin(), defaults.end(),
                   [](const DefaultsEntry& e) { return e.group.empty(); })) {
    defaults.push_back(DefaultsEntry{});  // _self_ goes last unless placed
  }
  for (const auto& entry : defaults) {
    if (entry.is_override) {
      throw ConfigError(entry.where + ": 'override' belongs in an experiment, not in config.yaml");
    }
    if (!entry.group.empty() && !is_group(config_dir, entry.group)) {
      throw ConfigError(entry.where + ": no config group '" + entry.group + "' (no folder " +
                        (config_dir / entry.group).string() + ")");
    }
  }
  return defaults;
}

// Reads the experiment and applies its group choices (`override /GROUP:
// OPTION`) to `defaults`; returns its values, without defaults, and sets
// `file` to where it is.
YAML::Node read_experiment(const ComposeRequest& request, std::vector<DefaultsEntry>* defaults,
                           DefaultsChanges* changes, fs::path* file) {
  *file = experiment_file(request.experiment_dir, request.experiment);
  if (!fs::is_regular_file(*file)) {
    const auto names = experiment_names(request.experiment_dir);
    throw ConfigError("no experiment '" + request.experiment + "' (no file " + file->string() +
                      ")" + base::did_you_mean(request.experiment, names) +
                      "\nAvailable experiments: " + (names.empty() ? "none" : base::join(names)));
  }
  YAML::Node body = load_yaml_file(*file);
  for (const auto& entry : read_defaults(body["defaults"], *file)) {
    if (entry.group.empty()) continue;
    if (!entry.is_override) {
      no_such_entry(*defaults, entry.name(), entry.where,
                    "; an experiment changes one with 'override /" + entry.name() + ": OPTION'");
    }
    check_option(request.config_dir, entry.group, entry.option, entry.where);
    changes->chosen.insert(entry.name());
    const auto target = find_entry(*defaults, entry.name());
    if (target != defaults->end()) {
      target->option = entry.option;
    } else {
      changes->pending[entry.name()] = PendingChange{entry.option, entry.where, false, false, ""};
    }
  }
  body.remove("defaults");
  return body;
}

// Moves the experiment's sweep (Hydra spells it hydra.sweeper.params; both
// are accepted), report and claims out of its values into `composed`.
void take_experiment_blocks(YAML::Node* body, Composed* composed) {
  composed->experiment_sweep = (*body)["sweep"];
  const YAML::Node hydra = (*body)["hydra"];
  if (!composed->experiment_sweep.IsDefined() && hydra.IsMap() && hydra["sweeper"].IsMap()) {
    composed->experiment_sweep = hydra["sweeper"]["params"];
  }
  composed->experiment_report = (*body)["report"];
  composed->experiment_claims = (*body)["claims"];
  for (const char* key : {"sweep", "hydra", "report", "claims"})
    body->remove(key);
}

// One command-line group choice, which wins over the config and the
// experiment: group[@pkg]=option changes an entry, +group[@pkg]=option adds
// one, ~group[@pkg] removes one.
void apply_group_override(const fs::path& config_dir, const Override& o,
                          std::vector<DefaultsEntry>* defaults, DefaultsChanges* changes) {
  const std::string where = "override '" + o.text + "'";
  const std::string name = o.package.empty() ? o.key : o.key + "@" + o.package;
  const std::string option = !o.has_value || o.value.IsNull() ? "" : o.value.Scalar();
  changes->chosen.insert(name);
  auto target = find_entry(*defaults, name);
  if (o.action == OverrideAction::kDelete) {
    if (target == defaults->end()) {
      changes->pending[name] = PendingChange{"", where, /*remove=*/true, false, ""};
    } else {
      defaults->erase(target);
    }
    return;
  }
  check_option(config_dir, o.key, option, where);
  if (o.action == OverrideAction::kAdd ||
      (o.action == OverrideAction::kForceAdd && target == defaults->end())) {
    if (target != defaults->end()) {
      throw ConfigError(where + ": Could not append to the defaults list: '" + name +
                        "' is already there; use " + name + "=" + option);
    }
    DefaultsEntry added;
    added.group = o.key;
    added.package = o.package;
    added.option = option;
    added.where = where;
    defaults->push_back(added);
    return;
  }
  if (target == defaults->end()) {
    changes->pending[name] =
        PendingChange{option, where, false, false, "; to add it use +" + o.text};
  } else {
    target->option = option;
  }
}

// Applies the command line's group choices; returns its value overrides,
// which apply after merging.
std::vector<const Override*> apply_group_overrides(const ComposeRequest& request,
                                                   std::vector<DefaultsEntry>* defaults,
                                                   DefaultsChanges* changes, Composed* composed) {
  std::vector<const Override*> value_overrides;
  for (const auto& o : request.overrides) {
    composed->overrides.push_back(o.text);
    if (o.is_sweep()) {
      throw ConfigError("override '" + o.text +
                        "' is a sweep; use `attnlab sweep` to run every value, or quote the "
                        "value to pass it as one string");
    }
    if (is_group(request.config_dir, o.key)) {
      apply_group_override(request.config_dir, o, defaults, changes);
      continue;
    }
    if (!o.package.empty()) {
      throw ConfigError("override '" + o.text + "': '" + o.key +
                        "' is not a config group, so it takes no @package");
    }
    value_overrides.push_back(&o);
  }
  return value_overrides;
}

}  // namespace

Composed compose(const ComposeRequest& request) {
  YAML::Node primary;
  std::vector<DefaultsEntry> defaults = primary_defaults(request.config_dir, &primary);
  DefaultsChanges changes;
  // The experiment: group choices first, its values after the primary config.
  YAML::Node experiment_body;
  fs::path experiment_file;
  if (!request.experiment.empty()) {
    experiment_body = read_experiment(request, &defaults, &changes, &experiment_file);
  }
  Composed composed;
  composed.root = YAML::Node(YAML::NodeType::Map);
  if (experiment_body.IsDefined()) take_experiment_blocks(&experiment_body, &composed);
  const auto value_overrides = apply_group_overrides(request, &defaults, &changes, &composed);

  DefaultsMerger(request.config_dir, &composed, &changes.pending, std::move(changes.chosen))
      .merge(defaults, "", primary, request.config_dir / "config.yaml", "", 0);
  for (const auto& [name, change] : changes.pending) {
    if (!change.used) no_such_entry(defaults, name, change.where, change.hint);
  }
  if (experiment_body.IsDefined()) {
    merge_into(composed.root, experiment_body);
    record_origins(experiment_body, "", experiment_file, &composed.origin);
  }
  for (const Override* o : value_overrides)
    apply_value_override(*o, &composed);
  resolve_interpolations(&composed);
  return composed;
}

}  // namespace attnlab::config
