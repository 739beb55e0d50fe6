#include "store/records.h"

namespace attnlab::store {

void EditSums::add(std::int64_t e, std::int64_t r) {
  ++examples;
  edits += e;
  reference += r;
  edits_squared += e * e;
  edits_by_reference += e * r;
  reference_squared += r * r;
}

EditSums& EditSums::operator+=(const EditSums& other) {
  examples += other.examples;
  edits += other.edits;
  reference += other.reference;
  edits_squared += other.edits_squared;
  edits_by_reference += other.edits_by_reference;
  reference_squared += other.reference_squared;
  return *this;
}

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
