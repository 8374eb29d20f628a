#pragma once
// The machine-readable status of a fleet (the shape of `status --json`, spec section 4), and the
// status file: rewritten atomically whenever something changes, so tools and tests can read the
// fleet's state without talking to the daemon. Every write is checked and the new file synced to
// disk before it is renamed over the old one: a write that fails (a full or read-only file system,
// no descriptor) leaves the last good file in place, is said once in the supervisor's log, and is
// tried again every retry_interval until it works.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/runtime/fleet.h"
#include "moltbot/runtime/profile_state.h"

namespace moltbot::runtime {

// Appends the profile's status as one JSON object, written directly rather than built as a JSON
// tree: `status` of a whole fleet is answered on every request, and the tree was most of its cost.
void append_status_json(std::string& out, const ProfileStatus& status);

class StatusFile {
 public:
  static constexpr std::chrono::seconds retry_interval{1};

  // Attaches to the fleet's events; writes at most once per event-loop turn. The file is 0640,
  // its group `group` (socket_group) when given; written as PATH.tmp relative to its folder's
  // descriptor, created afresh (O_EXCL, O_NOFOLLOW: a symlink planted there is refused), then
  // renamed over PATH.
  StatusFile(boost::asio::io_context& io, Fleet& fleet, std::string path, std::optional<gid_t> group = std::nullopt);
  StatusFile(const StatusFile&) = delete;
  StatusFile& operator=(const StatusFile&) = delete;

  void write_now();

 private:
  // The new file in place, or why not (nothing replaced then).
  std::optional<std::string> replace_file();

  boost::asio::io_context& io_;
  Fleet& fleet_;
  std::string path_;
  std::optional<gid_t> group_;
  bool write_pending_ = false;
  boost::asio::steady_timer retry_timer_;
  std::string failure_;  // why the last write failed; empty when it worked
};

}  // namespace moltbot::runtime
