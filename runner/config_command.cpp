// `attnlab config`: print the composed, validated config; for a sweep, also
// the jobs it expands to.
#include <iostream>
#include <memory>

#include "config/errors.h"
#include "runner/common.h"

namespace attnlab::runner {
namespace {

void print_config(const GlobalOptions& globals, const std::vector<std::string>& words) {
  const Expansion expansion = expand_words(globals, words);
  const Job first = compose_job(globals, expansion.experiment, expansion.jobs.front());
  std::cout << config::to_yaml(first.settings);
  if (!expansion.is_sweep) return;
  std::cout << "# sweep: " << expansion.jobs.size() << " job(s); the config above is job #0\n";
  for (size_t i = 0; i < expansion.jobs.size(); ++i) {
    compose_job(globals, expansion.experiment, expansion.jobs[i]);  // validates every job
    std::cout << "# #" << i << " : " << config::join(expansion.jobs[i], " ") << "\n";
  }
}

}  // namespace

void add_config_command(CLI::App& app, GlobalOptions& globals) {
  auto words = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand(
      "config", "Print the composed config (and, for a sweep, one line per job).");
  cmd->add_option("words", *words, "[EXPERIMENT] OVERRIDE...");
  cmd->footer(
      "Overrides:\n"
      "  group=option        choose a config group option (attention=dot, task=reverse)\n"
      "  key.path=value      change a key that exists (train.lr=3e-4, task.train_lengths=[1,12])\n"
      "  +key=value          add a key that does not exist yet\n"
      "  ++key=value         add or change\n"
      "  ~key                delete a key\n"
      "Values are typed: 10, -3, 1_000, 1e-05, inf, true, null, [1,2], {a: 1}; anything else,\n"
      "and anything quoted ('10'), is a string. A sweep value is a,b,c or choice(a,b) or\n"
      "range(start,stop[,step]).\n"
      "Examples:\n"
      "  attnlab config\n"
      "  attnlab config default\n"
      "  attnlab config attention=general model.hidden_size=128\n"
      "  attnlab config attention=dot,additive train.steps=range(100,301,100)");
  cmd->callback([&globals, words] { print_config(globals, *words); });
}

}  // namespace attnlab::runner
