// One driver per sweep: the process that drives a sweep holds a lease on it
// in the database (sweeps.driver_host, driver_pid, driver_renewed_at). The
// lease is taken in a write transaction, so of two drivers started at once
// exactly one gets it; a thread renews it, over its own connection, while
// the driver lives, and the driver releases it when it ends. A successor
// takes over at once a lease whose process no longer exists on this host,
// and any lease nobody renewed for kLeaseSeconds (a driver on another host
// that died, or a pid this host has since given to another process).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "store/database.h"

namespace attnlab::store {

// Another live process drives the sweep; the message names it.
class DriverLeaseHeld : public StoreError {
 public:
  using StoreError::StoreError;
};

class DriverLease {
 public:
  static constexpr int kLeaseSeconds = 60;
  static constexpr std::chrono::seconds kRenewEvery{10};

  // Takes the lease on `sweep_id` (which must exist) in the database `file`
  // for this process. Throws DriverLeaseHeld while a live driver holds it.
  DriverLease(const std::filesystem::path& file, const std::string& sweep_id,
              std::chrono::milliseconds renew_every = kRenewEvery);
  // Stops renewing and releases the lease.
  ~DriverLease();
  DriverLease(const DriverLease&) = delete;
  DriverLease& operator=(const DriverLease&) = delete;

 private:
  void renew_until_stopped(std::chrono::milliseconds every);

  Database db_;  // used by the renewing thread while it runs
  std::string sweep_id_;
  std::string host_;
  std::int64_t pid_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace attnlab::store
