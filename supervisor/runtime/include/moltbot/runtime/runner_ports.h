#pragma once
// Everything a ProfileRunner asks of the world, as two small interfaces: the real ones run
// processes and timers on the event loop (profile_process.h, asio_deadline.h); unit tests give
// it a fake clock and a fake child.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/runtime/exit_status.h"
#include "moltbot/runtime/health_probe.h"
#include "moltbot/runtime/profile_state.h"
#include "moltbot/runtime/restart_handoff.h"
#include "moltbot/runtime/shortage.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

// The runner's single deadline and its clock.
class Deadline {
 public:
  virtual ~Deadline() = default;
  virtual TimePoint now() const = 0;
  // Replaces any earlier deadline; at `when`, the handler installed with on_expiry runs.
  virtual void arm(TimePoint when) = 0;
  virtual void cancel() = 0;
  // When it is armed for, or nullopt (not armed, or fired).
  virtual std::optional<TimePoint> due() const = 0;
  virtual void on_expiry(std::function<void()> handler) = 0;
};

// A start the profile's folders forbid: a state dir or workspace other users may write, or a
// state dir another supervisor holds. Retrying cannot help; the profile waits for an operator.
struct Refusal {
  std::string reason;
};

using Prepared = std::variant<std::monostate, std::string, Shortage, Refusal>;

// liveness: the health probe (restarts on failures). startup: whether a live child has finished
// starting (health.startup_path). readiness: reported only.
enum class ProbeKind { liveness, startup, readiness };

// One profile's child processes and their surroundings.
class ChildControl {
 public:
  virtual ~ChildControl() = default;
  // Creates the state dir and workspace when missing: nothing when done, an error message, the
  // supervisor's own shortage (shortage.h), which is nobody's failure, or a Refusal.
  virtual Prepared prepare() = 0;
  // "port 18789 (gateway) held by pid 1234 (nginx)" when a port of the set is taken, or why the
  // supervisor could not tell.
  virtual std::optional<std::string> port_conflict() = 0;
  // Settles how the next child is told to restart before it is spawned (the gateway's CLI is
  // asked once per runtime whether it speaks the restart-handoff protocol). True when it is
  // settled now; otherwise `settled` runs later from the event loop.
  virtual bool settle_restart_mode(std::function<void()> settled) = 0;
  // Starts the child; `on_exit` runs once with its status (after its output is drained). An error,
  // or a Shortage when the supervisor lacked the resources to start it.
  virtual Spawned spawn(std::function<void(ExitStatus)> on_exit) = 0;
  // Whether the last child runs (ran) in the external-supervisor mode: its exit 0 may be a
  // restart it planned, with a handoff to consume.
  virtual bool restarts_externally() const = 0;
  // How the next child will be told to restart, and why (for status).
  virtual const HandoffSupport& restart_support() const = 0;
  // Asks the gateway's CLI whether `pid` exited for a restart it planned; `done` runs later.
  virtual void consume_handoff(pid_t pid, std::function<void(HandoffVerdict)> done) = 0;
  // `signal` to the child's process group and every tracked descendant of the current or last child.
  virtual void signal_all(int signal) = 0;
  // Whether anything of the last child (its group, tracked descendants) is still alive.
  virtual bool has_leftovers() = 0;
  // One probe of the running child; for tcp/http, healthy also requires that the listener on
  // the gateway port belongs to the child or a descendant. Inconclusive when the supervisor could
  // not probe.
  virtual void probe(ProbeKind kind, ProbeCallback done) = 0;
  // A line in the profile's log, written by the supervisor.
  virtual void note(const std::string& line) = 0;
  virtual std::vector<std::string> recent_output(std::size_t lines) const = 0;
};

}  // namespace moltbot::runtime
