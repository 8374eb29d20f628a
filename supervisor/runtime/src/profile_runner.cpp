#include "moltbot/runtime/profile_runner.h"

#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace moltbot::runtime {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Retrying a held port follows the backoff schedule, but never waits longer than this: the
// holder going away is not an event we can wait for, and recovery should be prompt.
constexpr milliseconds max_port_wait{5000};
constexpr std::size_t fatal_output_lines = 20;

std::string describe_duration(milliseconds ms) {
  if (ms.count() > 0 && ms.count() % 60000 == 0) return fmt::format("{}m", ms.count() / 60000);
  if (ms.count() % 1000 == 0) return fmt::format("{}s", ms.count() / 1000);
  return fmt::format("{}ms", ms.count());
}

}  // namespace

template <typename Body>
void ProfileRunner::contained(Handler kind, Body&& body) {
  guarded(kind, profile_->name, body, [this](const std::string& failure) { contain(failure); });
}

std::shared_ptr<ProfileRunner> ProfileRunner::create(std::shared_ptr<const config::Profile> profile,
                                                     ChildControl& child, Deadline& deadline, Observer observer,
                                                     UnitRandom random) {
  auto runner = std::make_shared<ProfileRunner>(std::move(profile), child, deadline, std::move(observer),
                                                std::move(random));
  deadline.on_expiry([weak = runner->weak_from_this()] {
    if (auto self = weak.lock()) self->on_deadline();
  });
  return runner;
}

ProfileRunner::ProfileRunner(std::shared_ptr<const config::Profile> profile, ChildControl& child,
                             Deadline& deadline, Observer observer, UnitRandom random)
    : profile_(std::move(profile)), child_(child), deadline_(deadline), observer_(std::move(observer)),
      random_(std::move(random)), budget_(profile_->restart) {}

State ProfileRunner::public_state(Phase phase) {
  switch (phase) {
    case Phase::stopped: return State::stopped;
    case Phase::negotiating: return State::starting;
    case Phase::waiting_ports: return State::starting;
    case Phase::starting: return State::starting;
    case Phase::running: return State::running;
    case Phase::unhealthy: return State::unhealthy;
    case Phase::stopping: return State::stopping;
    case Phase::killing: return State::stopping;
    case Phase::backoff: return State::backoff;
    case Phase::handoff: return State::starting;
    case Phase::fatal: return State::fatal;
  }
  return State::stopped;
}

bool ProfileRunner::has_child_phase() const {
  return phase_ == Phase::starting || phase_ == Phase::running || phase_ == Phase::unhealthy;
}

// ---- requests -------------------------------------------------------------------------------

void ProfileRunner::start() {
  contained(Handler::request, [&] {
    if (retired_) return;
    wanted_ = true;
    switch (phase_) {
      case Phase::stopped:
      case Phase::waiting_ports:
      case Phase::backoff:
      case Phase::handoff: return begin_start();
      case Phase::stopping:
      case Phase::killing:
        if (after_stop_ == AfterStop::stay_stopped) after_stop_ = AfterStop::restart_now;
        return;
      default: return;  // already has a child or is about to; fatal waits for reset
    }
  });
}

void ProfileRunner::stop() {
  contained(Handler::request, [&] { stop_because("stop requested"); });
}

void ProfileRunner::retire(std::string reason) {
  contained(Handler::request, [&] {
    retired_ = true;
    stop_because(std::move(reason));
  });
}

void ProfileRunner::stop_because(std::string reason) {
  wanted_ = false;
  if (has_child_phase()) return begin_stop(AfterStop::stay_stopped, std::move(reason));
  switch (phase_) {
    case Phase::negotiating:
    case Phase::waiting_ports:
    case Phase::backoff:
    case Phase::handoff: return set_phase(Phase::stopped, std::move(reason));
    case Phase::stopping:
    case Phase::killing: after_stop_ = AfterStop::stay_stopped; return;
    default: return;
  }
}

void ProfileRunner::restart() {
  contained(Handler::request, [&] {
    if (phase_ == Phase::fatal || retired_) return;  // only reset leaves fatal; retired stays down
    wanted_ = true;
    if (has_child_phase()) return begin_stop(AfterStop::restart_now, "restart requested");
    switch (phase_) {
      case Phase::stopped:
      case Phase::waiting_ports:
      case Phase::backoff:
      case Phase::handoff: return begin_start();
      case Phase::negotiating: return;  // the start under way is the restart
      default:  // stopping: a restart already pending absorbs this one
        if (after_stop_ == AfterStop::stay_stopped) after_stop_ = AfterStop::restart_now;
        return;
    }
  });
}

void ProfileRunner::reset() {
  contained(Handler::request, [&] {
    budget_.clear();
    backoff_step_ = 0;
    port_wait_step_ = 0;
    restarts_ = 0;
    if (phase_ != Phase::fatal) return;
    last_lines_.clear();
    set_phase(Phase::stopped, "reset");
    if (wanted_) begin_start();
  });
}

void ProfileRunner::on_orphan_reaped() {
  if ((phase_ == Phase::stopping || phase_ == Phase::killing) && pid_ == 0)
    contained(Handler::exit, [&] { finish_stop_if_done(); });
}

// ---- the catch boundary ---------------------------------------------------------------------

void ProfileRunner::contain(const std::string& failure) {
  try {
    handle_as_failure(failure);
  } catch (...) {
    // Handling the failure failed too: parked as it is, without a deadline, until a reset.
    phase_ = Phase::fatal;
    reason_ = failure + "; parked until reset";
    deadline_.cancel();
    throw;  // logged by guarded()
  }
}

void ProfileRunner::handle_as_failure(const std::string& failure) {
  ++probe_generation_;  // answers to what the failed handler had under way are stale
  const Failure failed{std::nullopt, failure, true};
  if (phase_ == Phase::stopping || phase_ == Phase::killing) {
    // The stop goes on as it was meant to end; its deadline (SIGKILL) is armed again in case the
    // failed handler was the one that should have armed it.
    deadline_.arm(kill_at_ = deadline_.now() + profile_->stop.timeout);
    return finish_stop_if_done();
  }
  if (pid_ != 0 || child_.has_leftovers()) {
    begin_stop(AfterStop::apply_policy, failure, failed);
    return finish_stop_if_done();  // only leftovers: done once they are gone
  }
  last_exit_ = LastExit{std::nullopt, failure};
  decide_after_failure(failed);
}

// ---- events from the world ------------------------------------------------------------------

void ProfileRunner::on_deadline() {
  contained(Handler::timer, [&] {
    switch (phase_) {
      case Phase::waiting_ports:
      case Phase::backoff: return begin_start();
      case Phase::starting:
      case Phase::running:
      case Phase::unhealthy: return launch_probes();
      case Phase::stopping:
        child_.signal_all(SIGKILL);
        return set_phase(Phase::killing,
                         fmt::format("{}; still alive after {}: SIGKILL sent", reason_,
                                     describe_duration(profile_->stop.timeout)),
                         kill_at_ = deadline_.now() + profile_->stop.timeout);
      case Phase::killing:  // SIGKILL cannot be ignored, but a process in D state ends late
        child_.signal_all(SIGKILL);
        return deadline_.arm(kill_at_ = deadline_.now() + profile_->stop.timeout);
      default: return;
    }
  });
}

void ProfileRunner::on_exit(ExitStatus status) {
  // Gone, whatever happens next: a handling that fails must not wait for this child.
  const pid_t exited = std::exchange(pid_, 0);
  contained(Handler::exit, [&] { handle_exit(exited, status); });
}

void ProfileRunner::handle_exit(pid_t exited, ExitStatus status) {
  auto now = deadline_.now();
  ++probe_generation_;
  if (healthy_since_ && now - *healthy_since_ >= profile_->restart.reset_after) backoff_step_ = 0;
  healthy_since_.reset();

  if (phase_ == Phase::stopping || phase_ == Phase::killing) {
    last_exit_ = LastExit{status, pending_failure_ ? pending_failure_->reason : reason_};
    return finish_stop_if_done();
  }

  if (status.code == 0 && wanted_ && child_.restarts_externally()) {
    // The gateway's way of asking for a fresh process: it drained, left a handoff and exited 0.
    set_phase(Phase::handoff, fmt::format("pid {} exited 0; asking its CLI whether it planned a restart", exited));
    return child_.consume_handoff(exited, [weak = weak_from_this(), generation = probe_generation_, exited,
                                           status](HandoffVerdict verdict) {
      auto self = weak.lock();
      // Else stopped or started meanwhile.
      if (self && generation == self->probe_generation_ && self->phase_ == Phase::handoff)
        self->contained(Handler::cli, [&] { self->on_handoff(exited, status, std::move(verdict)); });
    });
  }
  after_exit(status);
}

void ProfileRunner::on_handoff(pid_t pid, ExitStatus status, HandoffVerdict verdict) {
  if (verdict.unknown) {
    // The supervisor could not ask (its own shortage): an exit 0 it cannot judge is not held
    // against the gateway either; it starts again at once.
    last_exit_ = LastExit{status, "exited 0; not counted as a failure: " + verdict.detail};
    child_.note(fmt::format("pid {} exited 0 and its CLI could not be asked whether it planned a restart ({}); "
                            "starting it again without counting a restart",
                            pid, verdict.detail));
  } else if (!verdict.accepted) {
    child_.note(fmt::format("pid {} exited 0 without a planned restart: {}", pid, verdict.detail));
    return after_exit(status);
  } else {
    // Not a failure: no restart budget, no backoff.
    ++planned_restarts_;
    last_exit_ = LastExit{status, "planned restart (" + verdict.detail + ")"};
    child_.note(fmt::format("planned restart of pid {}: {}", pid, verdict.detail));
    emit({ProfileEvent::Kind::planned_restart, profile_->name, State::starting, State::starting,
          fmt::format("pid {}: {}", pid, verdict.detail)});
  }
  if (child_.has_leftovers())
    return begin_stop(AfterStop::restart_now, fmt::format("planned restart of pid {}; stopping its leftover processes", pid));
  begin_start();
}

// An exit nobody asked for.
void ProfileRunner::after_exit(ExitStatus status) {
  Failure failure{status, status.describe()};
  last_exit_ = LastExit{status, failure.reason};
  if (child_.has_leftovers()) {
    // The gateway is gone but helpers of it live on (holding ports, maybe): end them first.
    return begin_stop(AfterStop::apply_policy, fmt::format("child {}; stopping its leftover processes", failure.reason),
                      failure);
  }
  decide_after_failure(failure);
}

void ProfileRunner::on_probe(ProbeKind kind, ProbeResult result) {
  if (kind == ProbeKind::readiness) {
    if (result.shortage) return;  // the readiness reported stays until a probe can tell
    auto readiness = result.ok ? std::string("ready") : "not ready: " + result.detail;
    if (readiness == readiness_) return;
    readiness_ = std::move(readiness);
    child_.note("readiness: " + readiness_);
    auto state = public_state(phase_);
    emit({ProfileEvent::Kind::readiness, profile_->name, state, state, readiness_});
    return;
  }

  if (result.shortage) return on_inconclusive(kind, result);
  if (kind == ProbeKind::startup) return on_startup_probe(std::move(result));
  if (result.ok) return on_live(result);

  auto now = deadline_.now();
  health_ = "failing: " + result.detail;
  bool in_start_period = phase_ == Phase::starting && now - started_at_ < profile_->health.start_period;
  if (!in_start_period) ++failures_;
  int threshold = std::max(profile_->health.failures, 1);
  if (failures_ >= threshold) {
    auto reason = fmt::format("health check failed {} times: {}", failures_, result.detail);
    return begin_stop(AfterStop::apply_policy, reason, Failure{std::nullopt, reason, true});
  }
  if (phase_ == Phase::starting) {
    auto counted = in_start_period ? std::string("start period") : fmt::format("{}/{}", failures_, threshold);
    return set_phase(Phase::starting, fmt::format("pid {} not healthy yet ({}): {}", pid_, counted, result.detail),
                     next_probe_time(Phase::starting));
  }
  healthy_since_.reset();
  set_phase(Phase::unhealthy, fmt::format("health check failed ({}/{}): {}", failures_, threshold, result.detail),
            next_probe_time(Phase::unhealthy));
}

// The supervisor could not probe (its own shortage): neither a failure nor a success. The phase and
// the count of failures stay; status says why health is unknown; the next probe comes as usual.
void ProfileRunner::on_inconclusive(ProbeKind kind, const ProbeResult& result) {
  auto health = "unknown: " + result.detail;
  if (health != health_) {
    health_ = std::move(health);
    child_.note(fmt::format("{} probe not made, not counted: {}", kind == ProbeKind::startup ? "startup" : "health",
                            result.detail));
  }
  deadline_.arm(next_probe_time(phase_));
}

void ProfileRunner::on_live(const ProbeResult& result) {
  failures_ = 0;
  health_ = "healthy";
  if (phase_ == Phase::running) return deadline_.arm(next_probe_time(Phase::running));
  // Only an HTTP health check says the gateway speaks HTTP on its port; a tcp-checked child may
  // not answer GET at all.
  if (phase_ == Phase::starting && profile_->health.startup_path && profile_->health.type == config::HealthType::http) {
    // Live is not started: the gateway is asked at once whether it has finished starting.
    return child_.probe(ProbeKind::startup, probe_callback(ProbeKind::startup));
  }
  healthy_since_ = deadline_.now();
  set_phase(Phase::running, "healthy (" + result.detail + ")", next_probe_time(Phase::running));
}

void ProfileRunner::on_startup_probe(ProbeResult result) {
  if (phase_ != Phase::starting) return;
  if (!result.ok)  // reported, never counted as a failure: a real gateway starts for a minute
    return set_phase(Phase::starting, fmt::format("pid {} is live, not started yet: {}", pid_, result.detail),
                     next_probe_time(Phase::starting));
  healthy_since_ = deadline_.now();
  set_phase(Phase::running, "healthy (" + result.detail + ")", next_probe_time(Phase::running));
}

void ProfileRunner::adopt(pid_t pid, std::chrono::milliseconds age, bool entry_changed) {
  contained(Handler::request, [&] {
    const auto now = deadline_.now();
    wanted_ = true;
    pid_ = pid;
    started_at_ = now - age;
    failures_ = 0;
    readiness_ = profile_->health.ready_path ? "unknown" : "not checked";
    health_ = "unknown";
    if (entry_changed)
      return begin_stop(AfterStop::restart_now,
                        fmt::format("adopted pid {}, started from another manifest entry: restarting it", pid));
    if (profile_->health.type == config::HealthType::none) {
      health_ = "not checked";
      healthy_since_ = now;
      return set_phase(Phase::running, fmt::format("adopted pid {} (no health check)", pid));
    }
    set_phase(Phase::starting, fmt::format("adopted pid {}, waiting for a healthy probe", pid), now);
  });
}

std::function<void(ExitStatus)> ProfileRunner::exit_handler() {
  return [weak = weak_from_this()](ExitStatus status) {
    if (auto self = weak.lock()) self->on_exit(status);
  };
}

// ---- transitions ----------------------------------------------------------------------------

void ProfileRunner::begin_start() {
  ++probe_generation_;
  const bool settled = child_.settle_restart_mode([weak = weak_from_this(), generation = probe_generation_] {
    auto self = weak.lock();
    if (self && self->phase_ == Phase::negotiating && generation == self->probe_generation_)
      self->contained(Handler::cli, [&] { self->launch(); });
  });
  if (!settled) return set_phase(Phase::negotiating, "asking the gateway's CLI whether it supports restart handoffs");
  launch();
}

void ProfileRunner::launch() {
  auto now = deadline_.now();
  auto prepared = child_.prepare();
  if (auto* shortage = std::get_if<Shortage>(&prepared)) return wait_for_resources(*shortage);
  if (auto* refusal = std::get_if<Refusal>(&prepared)) {
    last_exit_ = LastExit{std::nullopt, "refused to start: " + refusal->reason};
    return set_phase(Phase::fatal, last_exit_->reason + "; parked until reset");
  }
  if (auto* error = std::get_if<std::string>(&prepared)) {
    last_exit_ = LastExit{std::nullopt, "cannot start: " + *error};
    return decide_after_failure({std::nullopt, last_exit_->reason});
  }
  if (auto conflict = child_.port_conflict()) return wait_and_retry(*conflict);

  auto spawned = child_.spawn(exit_handler());
  if (auto* shortage = std::get_if<Shortage>(&spawned)) return wait_for_resources(*shortage);
  port_wait_step_ = 0;
  if (auto* error = std::get_if<std::string>(&spawned)) {
    last_exit_ = LastExit{std::nullopt, "cannot start: " + *error};
    return decide_after_failure({std::nullopt, last_exit_->reason});
  }
  pid_ = std::get<pid_t>(spawned);
  started_at_ = now;
  failures_ = 0;
  readiness_ = profile_->health.ready_path ? "unknown" : "not checked";
  if (profile_->health.type == config::HealthType::none) {
    health_ = "not checked";
    healthy_since_ = now;
    return set_phase(Phase::running, fmt::format("started pid {} (no health check)", pid_));
  }
  health_ = "unknown";
  set_phase(Phase::starting, fmt::format("started pid {}, waiting for a healthy probe", pid_),
            now + std::min(profile_->health.start_interval, profile_->health.interval));
}

// Something outside the gateway keeps it from starting now: no restart is counted, the start is
// tried again on the backoff schedule, at most max_port_wait apart.
void ProfileRunner::wait_and_retry(const std::string& why) {
  auto delay = std::min(backoff_delay(profile_->restart.backoff, port_wait_step_++, random_()), max_port_wait);
  set_phase(Phase::waiting_ports, fmt::format("waiting: {} (next check in {})", why, describe_duration(delay)),
            deadline_.now() + delay);
}

void ProfileRunner::wait_for_resources(const Shortage& shortage) {
  wait_and_retry("the supervisor is short of its own resources, not counted as a restart: " + shortage.message);
}

void ProfileRunner::begin_stop(AfterStop after, std::string reason, std::optional<Failure> failure) {
  after_stop_ = after;
  pending_failure_ = std::move(failure);
  ++probe_generation_;
  signal_child(profile_->stop.signal);
  set_phase(Phase::stopping, std::move(reason), kill_at_ = deadline_.now() + profile_->stop.timeout);
}

void ProfileRunner::signal_child(int signal) {
  child_.signal_all(signal);
  // A stopped (SIGSTOP) process keeps every signal but SIGKILL pending until it continues.
  if (signal != SIGKILL && signal != SIGCONT) child_.signal_all(SIGCONT);
}

void ProfileRunner::finish_stop_if_done() {
  if (pid_ != 0) return;
  if (child_.has_leftovers()) {
    if (!reason_.ends_with("waiting for leftover processes"))
      set_phase(phase_, reason_ + "; waiting for leftover processes", kill_at_);
    return;
  }
  auto failure = std::move(pending_failure_);
  pending_failure_.reset();
  switch (after_stop_) {
    case AfterStop::stay_stopped: return set_phase(Phase::stopped, "stopped");
    case AfterStop::restart_now:
      after_stop_ = AfterStop::stay_stopped;
      return begin_start();
    case AfterStop::apply_policy:
      after_stop_ = AfterStop::stay_stopped;
      return decide_after_failure(failure ? *failure : Failure{std::nullopt, "stopped"});
  }
}

void ProfileRunner::decide_after_failure(const Failure& failure) {
  const auto& restart = profile_->restart;
  auto now = deadline_.now();
  if (failure.exit && !failure.by_supervisor && failure.exit->signal == 0 &&
      std::find(restart.no_restart_exit_codes.begin(), restart.no_restart_exit_codes.end(), failure.exit->code) !=
          restart.no_restart_exit_codes.end()) {
    last_lines_ = child_.recent_output(fatal_output_lines);
    return set_phase(Phase::fatal, fmt::format("{}: listed in no_restart_exit_codes (78: the gateway's config or "
                                               "state-contention exit); parked until reset",
                                               failure.reason));
  }
  if (restart.policy == config::RestartPolicy::never)
    return set_phase(Phase::stopped, fmt::format("{}; restart policy is never", failure.reason));
  if (restart.policy == config::RestartPolicy::on_failure && failure.exit && !failure.by_supervisor &&
      failure.exit->is_clean())
    return set_phase(Phase::stopped, fmt::format("{} (clean); restart policy is on-failure", failure.reason));
  if (!wanted_) return set_phase(Phase::stopped, failure.reason);
  if (!budget_.try_consume(now)) {
    last_lines_ = child_.recent_output(fatal_output_lines);
    return set_phase(Phase::fatal, fmt::format("{} restarts within {}; last: {}; parked until reset",
                                               restart.max_restarts, describe_duration(restart.window), failure.reason));
  }
  auto delay = backoff_delay(restart.backoff, backoff_step_++, random_());
  ++restarts_;
  // `backoff.initial: 0` too goes through the deadline (due now: the next turn of the event
  // loop), never by calling begin_start() from here: a start that fails inside the call would
  // recurse, once per restart of the budget (up to 1,000,000 deep).
  set_phase(Phase::backoff,
            delay == std::chrono::milliseconds::zero()
                ? failure.reason + "; restarting at once"
                : fmt::format("{}; restarting in {}", failure.reason, describe_duration(delay)),
            now + delay);
}

ProbeCallback ProfileRunner::probe_callback(ProbeKind kind) {
  return [weak = weak_from_this(), generation = probe_generation_, kind](ProbeResult result) {
    auto self = weak.lock();
    if (self && generation == self->probe_generation_ && self->has_child_phase())  // else stale: that child is gone
      self->contained(Handler::probe, [&] { self->on_probe(kind, std::move(result)); });
  };
}

void ProfileRunner::launch_probes() {
  probe_started_ = deadline_.now();
  // The next deadline is armed when the liveness (or startup) result arrives: one probe in
  // flight at a time.
  child_.probe(ProbeKind::liveness, probe_callback(ProbeKind::liveness));
  if (profile_->health.ready_path && phase_ == Phase::running)
    child_.probe(ProbeKind::readiness, probe_callback(ProbeKind::readiness));
}

namespace {

// Each wakeup of the loop costs this VM more than a loopback connect does (issue 22,
// docs/benchmarks.md), so the running phase's tcp and http probes fall on a grid of a tenth of
// their interval (at most 250 ms) and the probes due in one slot share a wakeup, and the answers
// of http probes mostly another. Rounded to the nearest slot, so a profile keeps its cadence on
// average. The http probes of a slot hold their sockets at the same moments, so the control
// socket, which accepts only with descriptors to spare, retries after a random wait
// (control_server.cpp), never a period that could keep falling on those moments. Exec probes,
// which start processes, keep their own times.
bool probes_share_wakeups(const config::HealthSpec& health) {
  return health.type == config::HealthType::tcp || health.type == config::HealthType::http;
}

TimePoint on_probe_grid(TimePoint due, config::Millis interval) {
  const auto slot = std::chrono::duration_cast<SteadyClock::duration>(
      std::clamp(interval / 10, config::Millis(1), config::Millis(250)));
  const auto since = due.time_since_epoch() + slot / 2;
  return TimePoint(since - since % slot);
}

}  // namespace

// A starting child is probed every start_interval within its start period (Docker's
// start_interval), so `running` follows a fast start closely; otherwise every interval.
TimePoint ProfileRunner::next_probe_time(Phase upcoming) const {
  const auto& health = profile_->health;
  const auto now = deadline_.now();
  if (upcoming == Phase::starting && now - started_at_ < health.start_period)
    return std::max(now, probe_started_ + std::min(health.start_interval, health.interval));
  const auto due = probe_started_ + health.interval;
  return std::max(now, probes_share_wakeups(health) ? on_probe_grid(due, health.interval) : due);
}

// The one place where phase changes: deadline, profile log, event.
void ProfileRunner::set_phase(Phase phase, std::string reason, std::optional<TimePoint> deadline) {
  auto previous = public_state(phase_);
  bool changed = phase != phase_ || reason != reason_;
  phase_ = phase;
  reason_ = std::move(reason);
  if (deadline)
    deadline_.arm(*deadline);
  else
    deadline_.cancel();
  if (!changed) return;
  auto current = public_state(phase_);
  child_.note(fmt::format("{}: {}", to_string(current), reason_));
  emit({ProfileEvent::Kind::state, profile_->name, previous, current, reason_});
}

void ProfileRunner::emit(const ProfileEvent& event) {
  if (observer_) observer_(event);
}

// ---- queries --------------------------------------------------------------------------------

bool ProfileRunner::at_rest() const { return phase_ == Phase::stopped || phase_ == Phase::fatal; }

ProfileStatus ProfileRunner::status() const {
  ProfileStatus status;
  status.name = profile_->name;
  status.role = profile_->role;
  status.state = public_state(phase_);
  status.reason = reason_;
  status.pid = pid_;
  status.restarts = restarts_;
  status.planned_restarts = planned_restarts_;
  const HandoffSupport& support = child_.restart_support();
  status.restart_mode = support.mode == config::RestartMode::external ? "external" : "in-process";
  status.restart_mode_detail = support.detail;
  if (pid_ != 0) status.uptime = duration_cast<milliseconds>(deadline_.now() - started_at_);
  status.last_exit = last_exit_;
  status.health = pid_ != 0 ? health_ : "unknown";
  status.readiness = pid_ != 0 ? readiness_ : "unknown";
  status.ports = profile_->ports;
  status.last_lines = last_lines_;
  return status;
}

}  // namespace moltbot::runtime
