// `attnlab completion bash|zsh`: a shell completion script, and the
// completions that its `attnlab __complete WORD...` prints on every TAB. The candidates come
// from where attnlab itself looks them up: the commands and options from the
// command-line parser, experiments from experiments/, group options from the
// config folder, keys from the config's key registry, run and sweep ids from
// the database. So the completion never goes stale.
#include <algorithm>
#include <iostream>
#include <memory>
#include <set>

#include "config/explain.h"
#include "runner/common.h"
#include "runner/table.h"

namespace attnlab::runner {
namespace {

// Printed alone: let the shell complete file names.
constexpr char kFiles[] = ":files";

constexpr char kBash[] = R"(# bash completion for attnlab. Load it in this shell with
#   source <(attnlab completion bash)
# or for every shell: attnlab completion bash > /etc/bash_completion.d/attnlab
_attnlab() {
  local line=${COMP_LINE:0:COMP_POINT}
  local -a words
  read -r -a words <<< "$line"
  [[ $line == *' ' ]] && words+=("")
  local cur=${words[${#words[@]}-1]}
  local IFS=$'\n'
  local candidates
  candidates=$("${words[0]}" __complete "${words[@]:1}" 2>/dev/null)
  if [[ $candidates == ':files' ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  # bash splits words at '=' and ':': replace only what follows the last one.
  local head=${cur%"${cur##*[=:]}"}
  [[ -n $head ]] && COMPREPLY=("${COMPREPLY[@]#"$head"}")
  # A key (KEY=) waits for its value: no space after it.
  [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
  return 0
}
complete -F _attnlab attnlab build/attnlab ./build/attnlab
)";

constexpr char kZsh[] = R"(#compdef attnlab
# zsh completion for attnlab. Load it in this shell with
#   source <(attnlab completion zsh)
# (after compinit), or save it as _attnlab in a folder of your $fpath.
_attnlab() {
  local -a candidates keys others
  candidates=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ ${candidates[1]} == ':files' ]]; then
    _files
    return
  fi
  local c
  for c in $candidates; do
    [[ -z $c ]] && continue
    if [[ $c == *= ]]; then keys+=($c); else others+=($c); fi
  done
  # A key (KEY=) waits for its value: no space after it.
  (( ${#keys} )) && compadd -S '' -a keys
  (( ${#others} )) && compadd -a others
  return 0
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _attnlab "$@"
else
  compdef _attnlab attnlab build/attnlab ./build/attnlab
fi
)";

// The options of `app` as typed: --long and -s.
std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional()) continue;
    for (const auto& name : option->get_lnames())
      names.push_back("--" + name);
    for (const auto& name : option->get_snames())
      names.push_back("-" + name);
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({}))
    names.push_back(sub->get_name());
  return names;
}

// What a command line says before the word being completed.
struct Typed {
  GlobalOptions globals;
  const CLI::App* command = nullptr;     // the deepest (sub)command named
  std::vector<std::string> positionals;  // the command's words that are not options
  std::string previous;                  // the word before the current one
};

// Whether `name` (an option of `app`) takes a value.
bool takes_value(const CLI::App& app, const std::string& name) {
  const CLI::Option* option = app.get_option_no_throw(name);
  return option != nullptr && option->get_type_size_max() > 0;
}

Typed read_typed(const CLI::App& app, const GlobalOptions& globals,
                 const std::vector<std::string>& before) {
  Typed typed;
  typed.globals = globals;
  typed.command = &app;
  for (size_t i = 0; i < before.size(); ++i) {
    const std::string& word = before[i];
    if (!word.empty() && word[0] == '-') {
      if (word.find('=') == std::string::npos && takes_value(*typed.command, word) &&
          i + 1 < before.size()) {
        const std::string& value = before[++i];
        if (word == "--db") {
          typed.globals.db = value;
          typed.globals.db_given = true;
        }
        if (word == "--root") typed.globals.root = value;
        if (word == "--config-dir") typed.globals.config_dir = value;
      }
      continue;
    }
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : typed.command->get_subcommands({}))
      if (candidate->get_name() == word) sub = candidate;
    if (sub != nullptr && typed.positionals.empty()) {
      typed.command = sub;
    } else {
      typed.positionals.push_back(word);
    }
  }
  typed.previous = before.empty() ? "" : before.back();
  typed.globals.place_database();
  return typed;
}

// Run ids (and sweep ids, with `sweeps`) in the database; none when it
// cannot be read.
std::vector<std::string> ids_in_database(const GlobalOptions& globals, bool runs, bool sweeps) {
  std::vector<std::string> ids;
  if (!std::filesystem::exists(globals.db)) return ids;
  try {
    store::RunStore store = open_results_read_only(globals);
    if (runs)
      for (const auto& run : store.list_runs())
        ids.push_back(run.run_id);
    if (sweeps)
      for (const auto& sweep : store.list_sweeps())
        ids.push_back(sweep.sweep_id);
  } catch (const std::exception&) {
    // A damaged or foreign database completes nothing; the command will say why.
  }
  return ids;
}

// The words of an override: GROUP=OPTION for a group named before '=',
// else experiments (first word only), GROUP= and KEY= for every group and key.
std::vector<std::string> override_words(const Typed& typed, const std::string& current) {
  const auto& config_dir = typed.globals.config_dir;
  std::vector<std::string> groups;
  for (const auto& entry : std::filesystem::directory_iterator(config_dir))
    if (entry.is_directory()) groups.push_back(entry.path().filename().string());
  std::sort(groups.begin(), groups.end());
  std::vector<std::string> words;
  const size_t equals = current.find('=');
  if (equals != std::string::npos) {
    std::string group = current.substr(0, equals);
    if (!group.empty() && (group[0] == '+' || group[0] == '~')) group.erase(0, 1);
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) return words;
    for (const auto& option : config::group_options(config_dir, group))
      words.push_back(current.substr(0, equals + 1) + option);
    return words;
  }
  if (typed.positionals.empty()) words = config::experiment_names(typed.globals.experiment_dir());
  for (const auto& group : groups)
    words.push_back(group + "=");
  for (const auto& [key, meaning] : config::key_meanings())
    words.push_back(key + "=");
  words.push_back("+tags.");
  return words;
}

// The values of option `option` of the command.
std::vector<std::string> option_values(const Typed& typed, const std::string& option) {
  static const std::set<std::string> kPaths = {"--db", "--root", "--config-dir", "--out",
                                               "--figure"};
  if (kPaths.count(option)) return {kFiles};
  if (option == "--experiment") return config::experiment_names(typed.globals.experiment_dir());
  if (option == "--format") return table_formats();
  if (option == "--launcher") return {"local", "slurm"};
  if (option == "--sweep" || option == "--resume")
    return ids_in_database(typed.globals, false, true);
  return {};
}

// The words of the command's positionals.
std::vector<std::string> positional_words(const Typed& typed, const std::string& current) {
  const std::string name = typed.command->get_name();
  if (name == "run" || name == "sweep" || name == "config") return override_words(typed, current);
  if (name == "completion") return {"bash", "zsh"};
  if (name == "merge") return {kFiles};
  if (name == "ls") {
    if (typed.positionals.empty()) return {"runs", "sweeps"};
    return {};
  }
  if (name == "report") {
    auto words = config::experiment_names(typed.globals.experiment_dir());
    const auto ids = ids_in_database(typed.globals, false, true);
    words.insert(words.end(), ids.begin(), ids.end());
    return words;
  }
  if (name == "show" || name == "decode" || name == "diff" || name == "tag" ||
      name == "reproduce") {
    if (name == "decode" && !typed.positionals.empty()) return {};
    return ids_in_database(typed.globals, true, false);
  }
  if (name == "rm") return ids_in_database(typed.globals, true, true);
  return command_names(*typed.command);
}

std::vector<std::string> candidates(const CLI::App& app, const GlobalOptions& globals,
                                    std::vector<std::string> words) {
  const std::string current = words.empty() ? "" : words.back();
  if (!words.empty()) words.pop_back();
  const Typed typed = read_typed(app, globals, words);
  std::vector<std::string> all;
  if (!typed.previous.empty() && typed.previous[0] == '-' &&
      takes_value(*typed.command, typed.previous)) {
    all = option_values(typed, typed.previous);
  } else if (!current.empty() && current[0] == '-') {
    all = option_names(*typed.command);
  } else if (typed.command == &app) {
    all = command_names(app);
  } else {
    all = positional_words(typed, current);
  }
  if (all.size() == 1 && all.front() == kFiles) return all;
  std::vector<std::string> out;
  for (const auto& word : all)
    if (word.compare(0, current.size(), current) == 0) out.push_back(word);
  return out;
}

}  // namespace

void print_completions(const CLI::App& app, const GlobalOptions& globals,
                       const std::vector<std::string>& words) {
  // A TAB never prints an error: a missing config folder, say, completes nothing.
  std::vector<std::string> found;
  try {
    found = candidates(app, globals, words);
  } catch (const std::exception&) {
  }
  for (const auto& word : found)
    std::cout << word << "\n";
}

void add_completion_command(CLI::App& app, GlobalOptions&) {
  auto shell = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "completion", "Print a bash or zsh script that completes attnlab's command lines.");
  cmd->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  cmd->footer(
      "Examples:\n"
      "  source <(attnlab completion bash)          # in this shell; add it to ~/.bashrc to keep "
      "it\n"
      "  attnlab completion bash > /etc/bash_completion.d/attnlab\n"
      "  source <(attnlab completion zsh)           # after compinit, e.g. in ~/.zshrc\n"
      "It completes commands, options, experiment names, config groups and their options\n"
      "(attention=dot), config keys (train.steps=), and run and sweep ids from --db.\n"
      "Exit codes: 0 printed, 2 a shell other than bash or zsh.");
  cmd->callback([shell] { std::cout << (*shell == "bash" ? kBash : kZsh); });
}

}  // namespace attnlab::runner
