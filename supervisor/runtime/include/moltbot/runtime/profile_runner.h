#pragma once
// One profile's state machine: one phase, one deadline, one set_phase() that does every side
// effect (deadline, profile log line, event). Events in: start/stop/restart/reset requests,
// child exit, probe results, deadline expiry, a reaped leftover. Everything it does to the world
// goes through ChildControl and Deadline, so the transitions run the same under a fake clock.
//
// Internal phases map onto the public states: waiting_ports -> starting (a port of the set is
// held by someone else, or the supervisor is short of its own resources (descriptors, memory,
// processes): the profile waits and retries without spending its restart budget),
// negotiating -> starting (the gateway's CLI is asked whether it speaks the restart-handoff
// protocol, once per runtime), handoff -> starting (an external-mode gateway exited 0: its
// CLI is asked whether that was a restart it planned), killing -> stopping (SIGKILL sent after
// stop.timeout).
//
// A start is done (running) when the child answers its health probe and owns its listener, and,
// with health.startup_path, reports itself started; probes come every health.start_interval
// until then, within start_period. A probe the supervisor could not make (its own shortage) is
// inconclusive: it counts neither way, the state stays, and `health` says why it is unknown.
//
// Every entry into a runner (a request, or a handler of the event loop: deadline, exit, probe
// result, CLI answer) passes through one catch boundary (guarded.h). What a handler that threw
// left half-done is not trusted: the profile is handled as failed, its child stopped, and the
// restart policy, backoff and budget decide, with the reason "internal error in <kind> handler of
// profile <name>: <what>". No other profile notices.
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/profile_state.h"
#include "moltbot/runtime/restart_budget.h"
#include "moltbot/runtime/runner_ports.h"

namespace moltbot::runtime {

class ProfileRunner : public std::enable_shared_from_this<ProfileRunner> {
 public:
  using Observer = std::function<void(const ProfileEvent&)>;
  using UnitRandom = std::function<double()>;  // uniform in [0, 1), for backoff jitter

  static std::shared_ptr<ProfileRunner> create(std::shared_ptr<const config::Profile> profile, ChildControl& child,
                                               Deadline& deadline, Observer observer, UnitRandom random);

  // Operator and fleet requests. Concurrent ones merge: while a stop or restart is under way,
  // another restart adds nothing, and a stop turns a pending restart into a plain stop.
  void start();
  void stop();
  void restart();
  // Clears the restart budget, the backoff and `fatal`; a fatal profile that was wanted starts.
  void reset();
  // Stops for good: the fleet drops or replaces this runner once it is at rest (reload). Later
  // start and restart requests are ignored, so nothing brings the old entry back meanwhile.
  void retire(std::string reason);
  // A process nobody watched was reaped: maybe the last leftover of a stopping child.
  void on_orphan_reaped();

  // A re-exec of the supervisor (docs/supervisor.md, "Live re-exec") carries a runner across as
  // JSON: phase, reason, counters, restart budget, backoff steps, deadline and the child it
  // watches. restore() is for a fresh runner whose ChildControl has adopted that child already;
  // a deadline that was due during the exec fires at once, and a probe that was in flight is
  // made again.
  nlohmann::json snapshot() const;
  void restore(const nlohmann::json& state);
  // Why this runner cannot be carried across now (its gateway's CLI is confirming a planned
  // restart, whose answer would be lost), or nullopt.
  std::optional<std::string> busy_for_reexec() const;
  // A gateway adopted after a crash of the supervisor (ProfileProcess::adopt), running for `age`:
  // wanted, `starting` until its next healthy probe (made at once), then `running`, with a fresh
  // restart budget. One started from another entry than the profile's now is restarted at once.
  void adopt(pid_t pid, std::chrono::milliseconds age, bool entry_changed);
  // Where the child's exit goes: for ChildControl::spawn(), and for a child taken over in a re-exec
  // or adopted.
  std::function<void(ExitStatus)> exit_handler();

  ProfileStatus status() const;
  // No child and nothing left of one: the fleet may exit.
  bool at_rest() const;
  const config::Profile& profile() const { return *profile_; }

  ProfileRunner(std::shared_ptr<const config::Profile> profile, ChildControl& child, Deadline& deadline,
                Observer observer, UnitRandom random);

 private:
  enum class Phase {
    stopped, negotiating, waiting_ports, starting, running, unhealthy, stopping, killing, backoff, handoff, fatal
  };
  enum class AfterStop { stay_stopped, restart_now, apply_policy };
  struct Failure {
    std::optional<ExitStatus> exit;
    std::string reason;
    bool by_supervisor = false;  // we stopped it: its probes failed, or a handler of ours threw
  };

  static State public_state(Phase phase);
  bool has_child_phase() const;

  // Runs `body` inside the catch boundary; a failure is contained by contain().
  template <typename Body>
  void contained(Handler kind, Body&& body);
  void contain(const std::string& failure);
  void handle_as_failure(const std::string& failure);

  void on_deadline();
  void on_exit(ExitStatus status);
  void handle_exit(pid_t exited, ExitStatus status);
  void on_probe(ProbeKind kind, ProbeResult result);
  void on_inconclusive(ProbeKind kind, const ProbeResult& result);
  void on_live(const ProbeResult& result);
  void on_startup_probe(ProbeResult result);
  void on_handoff(pid_t pid, ExitStatus status, HandoffVerdict verdict);

  void stop_because(std::string reason);
  void begin_start();
  void launch();
  void wait_and_retry(const std::string& why);
  void wait_for_resources(const Shortage& shortage);
  void after_exit(ExitStatus status);
  void begin_stop(AfterStop after, std::string reason, std::optional<Failure> failure = std::nullopt);
  void finish_stop_if_done();
  void decide_after_failure(const Failure& failure);
  void launch_probes();
  ProbeCallback probe_callback(ProbeKind kind);
  TimePoint next_probe_time(Phase upcoming) const;
  void signal_child(int signal);

  void set_phase(Phase phase, std::string reason, std::optional<TimePoint> deadline = std::nullopt);
  void emit(const ProfileEvent& event);

  std::shared_ptr<const config::Profile> profile_;  // shared with the fleet's ChildControl
  ChildControl& child_;
  Deadline& deadline_;
  Observer observer_;
  UnitRandom random_;
  RestartBudget budget_;

  Phase phase_ = Phase::stopped;
  std::string reason_ = "not started";
  bool wanted_ = false;           // the fleet or operator wants it running
  bool retired_ = false;
  AfterStop after_stop_ = AfterStop::stay_stopped;
  std::optional<Failure> pending_failure_;
  TimePoint kill_at_{};

  pid_t pid_ = 0;
  TimePoint started_at_{};
  std::optional<TimePoint> healthy_since_;
  int backoff_step_ = 0;
  int port_wait_step_ = 0;
  int restarts_ = 0;
  int planned_restarts_ = 0;
  std::optional<LastExit> last_exit_;
  std::vector<std::string> last_lines_;

  unsigned probe_generation_ = 0;  // results of probes from an earlier generation are stale
  TimePoint probe_started_{};
  int failures_ = 0;
  std::string health_ = "unknown";
  std::string readiness_ = "unknown";
};

}  // namespace moltbot::runtime
