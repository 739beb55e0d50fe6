#include "store/records.h"

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
  return run_statuses().name_of(status);
}

const base::Registry<SweepStatus>& sweep_statuses() {
  static const base::Registry<SweepStatus> kStatuses("sweep status",
                                                     {{"running", SweepStatus::kRunning},
                                                      {"completed", SweepStatus::kCompleted},
                                                      {"failed", SweepStatus::kFailed}});
  return kStatuses;
}

const std::string& status_name(SweepStatus status) {
  return sweep_statuses().name_of(status);
}

}  // namespace attnlab::store
