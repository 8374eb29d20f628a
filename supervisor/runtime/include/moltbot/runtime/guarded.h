#pragma once
// The catch boundary of the event loop. Every handler the loop runs for a profile, a control
// client or the supervisor itself passes through guarded() where it enters its owner: whatever it
// throws is logged with its context ("internal error in probe handler of profile main: ...") and
// handed to the owner's containment, which puts that owner (one profile, one connection) into a
// clear state. Nothing reaches io.run(), whose caller keeps a last-resort loop anyway
// (run_command.cpp); so no handler can end the supervisor, and with it every gateway.
//
// A test facility, MOLTBOT_SUPERVISOR_TEST_THROW=KIND[,PROFILE], read once at start, makes the
// first guarded handler of that kind (and profile) throw, to prove each boundary
// (docs/supervisor.md, "Crash safety").
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "moltbot/common/environment.h"

namespace moltbot::runtime {

// The kinds of handlers, as MOLTBOT_SUPERVISOR_TEST_THROW and the log name them.
enum class Handler {
  timer,        // a profile's deadline: backoff over, probe due, stop timeout
  exit,         // a profile's child exited
  probe,        // a probe's I/O, its result, the listener ownership check
  output,       // a read of a profile's output pipe
  cli,          // a run of the gateway's CLI (capabilities, consume) and its answer to a profile
  request,      // start, stop, restart, reset or retire of a profile
  session,      // a control connection: request read and dispatched, reply written, idle timer
  stream,       // an event or log line delivered to a follower (`events`, `logs -f`)
  wait,         // progress and completion of `start|stop|restart --wait`
  accept,       // a control connection accepted
  reload,       // a reload's completion: dropping and creating profiles
  status_file,  // a write of --status-file
  notify,       // sd_notify: status flush, watchdog ping
  signal,       // SIGTERM, SIGINT, SIGHUP
  reserve,      // the supervisor's descriptor reserve: a shortage relieved, the reserve refilled
  reexec,       // a re-exec of the supervisor: its program's answer, the state written, the exec
  // Backstops, not test faults: where one handler hands something to several owners, each of
  // which guards itself, so that one's failure cannot keep the others from their turn.
  reaper,    // an exit handed to its watcher
  observer,  // a profile's event or log line handed to an observer (own log, status file, feeds)
};

std::string_view handler_name(Handler kind);

// "internal error in probe handler of profile main: what" (no profile: "... in notify handler: what").
std::string internal_error(Handler kind, std::string_view profile, std::exception_ptr error);

// Reads MOLTBOT_SUPERVISOR_TEST_THROW once; an error message when it is malformed.
std::optional<std::string> configure_test_throw(const Environment& env);
// Throws the configured test fault when this is the first handler it names.
void throw_test_fault_if_armed(Handler kind, std::string_view profile);
// Logs the failure as an error; the containment's own failure is logged too.
void log_internal_error(const std::string& failure);
void log_containment_failure(const std::string& failure, std::exception_ptr error);

// Runs `body`; if it throws, logs the failure and calls `contain(failure)` with its text. True
// when `body` completed.
template <typename Body, typename Contain>
bool guarded(Handler kind, std::string_view profile, Body&& body, Contain&& contain) {
  std::string failure;
  try {
    throw_test_fault_if_armed(kind, profile);
    body();
    return true;
  } catch (...) {
    failure = internal_error(kind, profile, std::current_exception());
  }
  log_internal_error(failure);
  try {
    contain(failure);
  } catch (...) {
    log_containment_failure(failure, std::current_exception());
  }
  return false;
}

// For handlers whose owner needs no more than the log line (the status file is written again on
// the next change, a signal is handled again when it comes again).
template <typename Body>
bool guarded(Handler kind, Body&& body) {
  return guarded(kind, {}, std::forward<Body>(body), [](const std::string&) {});
}

}  // namespace moltbot::runtime
