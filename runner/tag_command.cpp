// `attnlab tag RUN_ID [KEY=VALUE...] [--remove KEY...]`: a run's free-form
// tags (what +tags.KEY=VALUE gives a run at its start), set, removed, or
// listed. Tags are labels: they never change a run's identity.
#include <iostream>
#include <memory>

#include "runner/common.h"
#include "store/run_store.h"

namespace attnlab::runner {
namespace {

struct TagOptions {
  std::string run_id;
  std::vector<std::string> pairs;   // KEY=VALUE
  std::vector<std::string> remove;  // KEY
};

// KEY=VALUE words as a map. Throws UsageError naming a malformed word.
std::map<std::string, std::string> parse_pairs(const std::vector<std::string>& words) {
  std::map<std::string, std::string> tags;
  for (const auto& word : words) {
    const size_t equals = word.find('=');
    if (equals == 0 || equals == std::string::npos) {
      throw UsageError("tag: '" + word + "' is not KEY=VALUE (e.g. note=baseline)");
    }
    tags[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return tags;
}

void print_tags(store::RunStore& store, const std::string& run_id) {
  for (const auto& [key, value] : store.tags(run_id))
    std::cout << key << "=" << value << "\n";
}

void tag(const GlobalOptions& globals, const TagOptions& options) {
  const auto tags = parse_pairs(options.pairs);
  if (tags.empty() && options.remove.empty()) {
    store::RunStore store = open_results_read_only(globals);
    print_tags(store, find_run(store, globals, options.run_id).run_id);
    return;
  }
  const auto store = open_results(globals);
  const std::string id = find_run(*store, globals, options.run_id).run_id;
  const auto had = store->tags(id);
  for (const auto& key : options.remove) {
    if (had.count(key) == 0) {
      throw UsageError("run " + id + " has no tag '" + key + "'" +
                       (had.empty() ? " (it has none)" : ""));
    }
  }
  store->remove_tags(id, options.remove);
  store->set_tags(id, tags);
  print_tags(*store, id);
}

}  // namespace

void add_tag_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<TagOptions>();
  CLI::App* cmd = app.add_subcommand(
      "tag", "Label a run with free-form tags (KEY=VALUE), remove them, or list them.");
  cmd->add_option("run_id", options->run_id, "the run's id, or a unique prefix of it")->required();
  cmd->add_option("tags", options->pairs, "KEY=VALUE tags to add or change");
  cmd->add_option("--remove", options->remove, "tags to remove, by key");
  cmd->footer(
      "Examples:\n"
      "  attnlab tag 3f2a9c1b7e note=baseline paper=fig3\n"
      "  attnlab tag 3f2a9c1b7e --remove paper\n"
      "  attnlab tag 3f2a9c1b7e                       # list its tags\n"
      "  attnlab run attention=dot +tags.note=first   # tag a run from its start\n"
      "  attnlab query \"SELECT run_id FROM tags WHERE key = 'note' AND value = 'baseline'\"\n"
      "Tags are labels: they never change a run's identity (its config hash).");
  cmd->callback([&globals, options] { tag(globals, *options); });
}

}  // namespace attnlab::runner
