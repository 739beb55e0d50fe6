// `attnlab config`: print the composed, validated config (every key, its
// defaults included); for a sweep, also the jobs it expands to. --explain
// KEY says what one key means and takes instead.
#include <iostream>
#include <memory>

#include "base/text.h"
#include "config/explain.h"
#include "runner/common.h"

namespace attnlab::runner {
namespace {

struct ConfigOptions {
  std::vector<std::string> words;  // [EXPERIMENT] OVERRIDE...
  std::string explain;             // a key to explain instead
};

void print_config(const GlobalOptions& globals, const ConfigOptions& options) {
  const Expansion expansion = expand_words(globals, options.words);
  const ComposedConfig first = compose_job(globals, expansion.experiment, expansion.jobs.front());
  if (!options.explain.empty()) {
    std::cout << config::explain_key(first.composed, options.explain);
    return;
  }
  experiment_text(globals, expansion.experiment);  // checks the experiment's claims
  std::cout << config::with_meanings(config::to_yaml(first.settings));
  if (!expansion.is_sweep) return;
  std::cout << "# sweep: " << expansion.jobs.size() << " job(s); the config above is job #0\n";
  for (size_t i = 0; i < expansion.jobs.size(); ++i) {
    compose_job(globals, expansion.experiment, expansion.jobs[i]);  // validates every job
    std::cout << "# #" << i << " : " << base::join(expansion.jobs[i], " ") << "\n";
  }
}

}  // namespace

void add_config_command(CLI::App& app, GlobalOptions& globals) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* cmd = app.add_subcommand(
      "config", "Print the composed config (and, for a sweep, one line per job).");
  cmd->add_option("words", options->words, "[EXPERIMENT] OVERRIDE...");
  cmd->add_option("--explain", options->explain,
                  "say what KEY means, what it accepts, its default and its value here");
  cmd->footer(std::string("Examples:\n"
                          "  attnlab config\n"
                          "  attnlab config default\n"
                          "  attnlab config attention=general model.hidden_size=128\n"
                          "  attnlab config 'attention=glob(*,exclude=none)' "
                          "'train.steps=range(1000,3001,1000)'\n"
                          "  attnlab config --explain train.lr\n"
                          "  attnlab config --explain task.years task=dates\n\n") +
              kOverrideGrammar);
  cmd->callback([&globals, options] { print_config(globals, *options); });
}

}  // namespace attnlab::runner
