#pragma once
// The gateway's restart-handoff protocol for external supervisors (docs/openclaw.md), spoken
// through its own CLI: `<cli> gateway restart-handoff capabilities --json` and
// `<cli> gateway restart-handoff consume --expected-pid PID --json`.
//
// Which gateway runtimes speak the restart-handoff protocol of an external supervisor
// (docs/openclaw.md): `<cli> gateway restart-handoff capabilities --json` answered with protocol
// version 1 and the `consume` operation. Asked once per runtime, as the gateway's docs advise
// (of the exact program, not inferred from a version string), and remembered per program path and
// modification time, so an upgrade in place is asked again. Profiles that share a runtime share
// one probe, also while it is still running. One per fleet, on the event loop.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/config/child_environment.h"
#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

class Reaper;

struct HandoffSupport {
  config::RestartMode mode = config::RestartMode::in_process;
  std::string detail;  // "restart-handoff protocol 1 (consume)", or why not: "capabilities probe: exit status 1: ..."
};

// A cold CLI start of a real gateway takes seconds, tens of seconds on a busy host.
inline constexpr std::chrono::seconds cli_timeout{60};

class HandoffSupportCache : public std::enable_shared_from_this<HandoffSupportCache> {
 public:
  HandoffSupportCache(boost::asio::io_context& io, Reaper& reaper) : io_(io), reaper_(reaper) {}
  HandoffSupportCache(const HandoffSupportCache&) = delete;
  HandoffSupportCache& operator=(const HandoffSupportCache&) = delete;

  // The answer for `program` (absolute) when it is known for the file it is now.
  std::optional<HandoffSupport> known(const std::string& program) const;
  // Runs `probe` (the CLI with capabilities_arguments(), in a profile's environment) unless it
  // already runs for its program; `later` is called from the loop once the answer is in.
  void ask(const SpawnRequest& probe, std::function<void(const HandoffSupport&)> later);

 private:
  struct Key {
    std::string program;
    std::timespec modified{};
    bool operator<(const Key& other) const;
  };
  struct Entry {
    bool settled = false;
    HandoffSupport support;
    std::vector<std::function<void(const HandoffSupport&)>> waiting;
  };

  // The program's key, or why it cannot be read.
  static std::variant<Key, std::string> key_of(const std::string& program);
  void settle(const Key& key, HandoffSupport support, bool remember);

  boost::asio::io_context& io_;
  Reaper& reaper_;
  std::map<Key, Entry> entries_;
};

// The verdict on an exit 0 of an external-mode gateway.
struct HandoffVerdict {
  bool accepted = false;  // a planned restart: start the replacement at once
  std::string detail;     // accepted: the gateway's reason and source; else "none (missing)", "rejected (pid-mismatch, handoff of pid 42)", the CLI's failure
  bool unknown = false;   // the CLI could not be run for want of the supervisor's own resources
};

// The arguments that follow the CLI's own (`openclaw --profile main`).
std::vector<std::string> capabilities_arguments();
std::vector<std::string> consume_arguments(pid_t expected_pid);

HandoffSupport parse_capabilities(const CliOutcome& outcome);
HandoffVerdict parse_consume(const CliOutcome& outcome);

}  // namespace moltbot::runtime
