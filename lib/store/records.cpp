#include "store/records.h"

#include <stdexcept>

namespace attnlab::store {

const base::Registry<RunStatus>& run_statuses() {
  static const base::Registry<RunStatus> kStatuses("run status",
                                                   {{"running", RunStatus::kRunning},
                                                    {"finished", RunStatus::kFinished},
                                                    {"failed", RunStatus::kFailed},
                                                    {"diverged", RunStatus::kDiverged},
                                                    {"interrupted", RunStatus::kInterrupted}});
  return kStatuses;
}

const std::string& status_name(RunStatus status) {
  for (const auto& [name, value] : run_statuses().entries()) {
    if (value == status) return name;
  }
  throw std::logic_error("a run status without a name");
}

const base::Registry<SweepStatus>& sweep_statuses() {
  static const base::Registry<SweepStatus> kStatuses("sweep status",
                                                     {{"running", SweepStatus::kRunning},
                                                      {"completed", SweepStatus::kCompleted},
                                                      {"failed", SweepStatus::kFailed}});
  return kStatuses;
}

const std::string& status_name(SweepStatus status) {
  for (const auto& [name, value] : sweep_statuses().entries()) {
    if (value == status) return name;
  }
  throw std::logic_error("a sweep status without a name");
}

}  // namespace attnlab::store
