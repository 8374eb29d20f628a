#pragma once
// One run of a short-lived command on the event loop, the gateway's own CLI for example
// (`openclaw gateway restart-handoff consume ...`): its stdout captured for the caller to parse,
// the tail of its stderr kept for an error message, its exit collected through the Reaper, and
// its process group killed when the deadline passes. Nothing here blocks the loop.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "moltbot/runtime/exit_status.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

class Reaper;

struct CliOutcome {
  std::optional<ExitStatus> exit;  // empty when it could not start or was killed at the deadline
  std::string output;              // stdout, at most max_output bytes
  std::string error_tail;          // the last non-empty stderr line
  std::string failure;             // why there is no exit: "timed out after 60 s", the spawn error
  std::optional<Shortage> shortage = std::nullopt;  // it could not start for want of the supervisor's own resources

  // "exit status 1: <stderr tail>", "timed out after 60 s", ...
  std::string describe() const;
};

inline constexpr std::size_t max_cli_output = 64 * 1024;

// `request.output_fd` and `error_fd` are set here; `done` runs once, always later from the loop.
void run_cli(boost::asio::io_context& io, Reaper& reaper, SpawnRequest request, std::chrono::milliseconds timeout,
             std::function<void(CliOutcome)> done);

}  // namespace moltbot::runtime
