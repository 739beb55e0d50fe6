#include "launch/launcher.h"

#include "base/text.h"
#include "config/compose.h"

namespace attnlab::launch {

std::string describe_overrides(const store::PlannedJob& job) {
  return job.overrides.empty() ? "(no overrides)" : base::join(job.overrides, " ");
}

config::RunSettings settings_of(const store::PlannedJob& job) {
  config::Composed composed;
  composed.root = YAML::Load(job.config_yaml);
  return config::parse_settings(composed);
}

const base::Registry<LauncherFactory>& launchers() {
  static const base::Registry<LauncherFactory> kLaunchers(
      "launcher", {{"local", make_local_launcher}, {"slurm", make_slurm_launcher}});
  return kLaunchers;
}

}  // namespace attnlab::launch
