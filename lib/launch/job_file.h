// The job file: a sweep's frozen plan as one JSON file in the sweep folder.
// A Slurm array task reads its job from it (the composed config, not the
// config tree, which may have changed since), and records the sweep in its
// shard database under the same id.
#pragma once

#include <string>
#include <vector>

#include "store/records.h"

namespace attnlab::launch {

struct JobFile {
  std::string sweep_id;
  std::string name;
  std::vector<std::string> words;  // the sweep's command line: [EXPERIMENT] OVERRIDE...
  std::string git_commit;
  std::string experiment_yaml;          // "" for none
  std::vector<store::PlannedJob> jobs;  // in plan order
};

// The file's text (JSON). The caller writes it atomically.
std::string job_file_text(const JobFile& plan);

// Parses a job file's text; `origin` (its path) names it in errors. Throws
// std::invalid_argument saying what is wrong.
JobFile parse_job_file(const std::string& text, const std::string& origin);

}  // namespace attnlab::launch
