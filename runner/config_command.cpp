// `attnlab config`: print the composed, validated config; for a sweep, also
// the jobs it expands to.
#include <iostream>
#include <memory>

#include "base/text.h"
#include "runner/common.h"

namespace attnlab::runner {
namespace {

void print_config(const GlobalOptions& globals, const std::vector<std::string>& words) {
  const Expansion expansion = expand_words(globals, words);
  const ComposedConfig first = compose_job(globals, expansion.experiment, expansion.jobs.front());
  experiment_text(globals, expansion.experiment);  // checks the experiment's claims
  std::cout << config::to_yaml(first.settings);
  if (!expansion.is_sweep) return;
  std::cout << "# sweep: " << expansion.jobs.size() << " job(s); the config above is job #0\n";
  for (size_t i = 0; i < expansion.jobs.size(); ++i) {
    compose_job(globals, expansion.experiment, expansion.jobs[i]);  // validates every job
    std::cout << "# #" << i << " : " << base::join(expansion.jobs[i], " ") << "\n";
  }
}

}  // namespace

void add_config_command(CLI::App& app, GlobalOptions& globals) {
  auto words = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "config", "Print the composed config (and, for a sweep, one line per job).");
  cmd->add_option("words", *words, "[EXPERIMENT] OVERRIDE...");
  cmd->footer(std::string("Examples:\n"
                          "  attnlab config\n"
                          "  attnlab config default\n"
                          "  attnlab config attention=general model.hidden_size=128\n"
                          "  attnlab config 'attention=glob(*,exclude=none)' "
                          "'train.steps=range(1000,3001,1000)'\n\n") +
              kOverrideGrammar);
  cmd->callback([&globals, words] { print_config(globals, *words); });
}

}  // namespace attnlab::runner
