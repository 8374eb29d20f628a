#pragma once
// The machine-readable status of a fleet (the shape of `status --json`, spec section 4), and the
// status file: rewritten atomically (temp file + rename) whenever something changes, so tools
// and tests can read the fleet's state without talking to the daemon.
#include <boost/asio/io_context.hpp>
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
  // Attaches to the fleet's events; writes at most once per event-loop turn.
  StatusFile(boost::asio::io_context& io, Fleet& fleet, std::string path);
  StatusFile(const StatusFile&) = delete;
  StatusFile& operator=(const StatusFile&) = delete;

  void write_now();

 private:
  boost::asio::io_context& io_;
  Fleet& fleet_;
  std::string path_;
  bool write_pending_ = false;
};

}  // namespace moltbot::runtime
