#pragma once
// The files of a restart in the state dir (docs/gateway.md, "Restart handoff"):
//   gateway-restart-handoff.json  the handoff record a gateway leaves when it exits for a restart
//   gateway-restart-request.json  why `gateway restart` sent SIGUSR2, for the record's reason
//   gateway-restart-handoff.lock  flock(2) held around every read, write and delete of both
// The lock makes consume exactly-once: two consumers of one record cannot both accept it.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "handoff_record.h"

namespace moltbot::gateway {

// Wall-clock Unix milliseconds, the time base of the record (createdAt, expiresAt).
long long unix_now_ms();

std::filesystem::path handoff_record_path(const std::filesystem::path& state_dir);
std::filesystem::path restart_request_path(const std::filesystem::path& state_dir);

// Writes the record atomically (mode 0600). Returns why it could not, or nothing.
std::optional<std::string> write_handoff(const std::filesystem::path& state_dir, const Handoff& handoff);

struct ConsumeOutcome {
  std::optional<ConsumeDecision> decision;
  std::string error;  // when decision is empty: why the store is unusable
};

// Reads the record, decides (decide_consume, at the time read under the lock) and deletes it when the decision says so, all
// under the lock. A state dir that does not exist holds no record: none, and nothing created.
ConsumeOutcome consume_handoff(const std::filesystem::path& state_dir, long long expected_pid);

// Leaves `reason` for the gateway with pid `pid`, which it takes on its next SIGUSR2.
std::optional<std::string> write_restart_request(const std::filesystem::path& state_dir, pid_t pid,
                                                 const std::string& reason);

// The reason left for this process (pid `own_pid`) within the last handoff_ttl_ms, if any. The
// request is deleted whoever it was for: a stale one must not name a later restart.
std::optional<std::string> take_restart_request(const std::filesystem::path& state_dir, pid_t own_pid);

}  // namespace moltbot::gateway
