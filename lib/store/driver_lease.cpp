#include "store/driver_lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>

#include "store/run_store.h"

namespace attnlab::store {
namespace {

// The driver recorded on a sweep, if any, and whether it still lives.
struct Holder {
  std::string host;
  std::int64_t pid = 0;
  double age_seconds = 0;  // since its last renewal
};

bool alive(const Holder& holder) {
  if (!(holder.age_seconds < DriverLease::kLeaseSeconds)) return false;  // NaN: no renewal
  if (holder.host != this_host()) return true;  // renewed in time; its process is not ours to see
  return kill(static_cast<pid_t>(holder.pid), 0) == 0 || errno != ESRCH;
}

std::optional<Holder> holder_of(Database& db, const std::string& sweep_id) {
  Statement s = db.prepare(
      "SELECT driver_host, driver_pid, "
      "(julianday(?2) - julianday(driver_renewed_at)) * 86400.0 FROM sweeps WHERE sweep_id = ?1");
  s.bind(1, sweep_id).bind(2, utc_now());
  if (!s.step()) {
    throw StoreError(db.file().string() + ": no sweep '" + sweep_id + "' to drive");
  }
  if (std::holds_alternative<std::monostate>(s.column(1))) return std::nullopt;
  const Value age = s.column(2);
  return Holder{s.column_text(0), s.column_int(1),
                std::holds_alternative<double>(age) ? std::get<double>(age) : NAN};
}

}  // namespace

DriverLease::DriverLease(const std::filesystem::path& file, const std::string& sweep_id,
                         std::chrono::milliseconds renew_every)
    : db_(file, OpenMode::kReadWrite), sweep_id_(sweep_id), host_(this_host()), pid_(getpid()) {
  Transaction txn(db_);
  if (const auto holder = holder_of(db_, sweep_id); holder && alive(*holder)) {
    throw DriverLeaseHeld("sweep " + sweep_id + " is being run by another attnlab (pid " +
                          std::to_string(holder->pid) + " on " + holder->host +
                          ", its lease renewed " +
                          std::to_string(static_cast<long>(std::lround(holder->age_seconds))) +
                          " s ago); wait for it to end, or stop it, before resuming the sweep");
  }
  Statement take = db_.prepare(
      "UPDATE sweeps SET driver_host = ?2, driver_pid = ?3, driver_renewed_at = ?4 "
      "WHERE sweep_id = ?1");
  take.bind(1, sweep_id_).bind(2, host_).bind(3, pid_).bind(4, utc_now());
  take.step();
  txn.commit();
  renewer_ = std::thread([this, renew_every] { renew_until_stopped(renew_every); });
}

DriverLease::~DriverLease() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  renewer_.join();
  try {
    Statement release = db_.prepare(
        "UPDATE sweeps SET driver_host = NULL, driver_pid = NULL, driver_renewed_at = NULL "
        "WHERE sweep_id = ?1 AND driver_host = ?2 AND driver_pid = ?3");
    release.bind(1, sweep_id_).bind(2, host_).bind(3, pid_);
    release.step();
  } catch (const StoreError&) {
    // A lease left behind expires; its process is gone.
  }
}

void DriverLease::renew_until_stopped(std::chrono::milliseconds every) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, every, [this] { return stopping_; })) {
    try {
      Statement renew = db_.prepare(
          "UPDATE sweeps SET driver_renewed_at = ?4 "
          "WHERE sweep_id = ?1 AND driver_host = ?2 AND driver_pid = ?3");
      renew.bind(1, sweep_id_).bind(2, host_).bind(3, pid_).bind(4, utc_now());
      renew.step();
    } catch (const StoreError&) {
      // Busy past the timeout, or the disk is full: the next renewal tries
      // again, well inside the lease.
    }
  }
}

}  // namespace attnlab::store
