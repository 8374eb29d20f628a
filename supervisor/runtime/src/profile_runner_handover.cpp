// A runner carried across a re-exec of the supervisor: what it knows, as JSON. Times are
// steady_clock (CLOCK_MONOTONIC) nanoseconds, which an exec does not reset.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "moltbot/runtime/profile_runner.h"

namespace moltbot::runtime {

namespace {

using json = nlohmann::json;

constexpr const char* phase_names[] = {"stopped",  "negotiating", "waiting_ports", "starting", "running", "unhealthy",
                                       "stopping", "killing",     "backoff",       "handoff",  "fatal"};

json time_json(TimePoint time) { return time.time_since_epoch().count(); }
TimePoint time_of(const json& value) { return TimePoint(TimePoint::duration(value.get<TimePoint::rep>())); }

json optional_time(const std::optional<TimePoint>& time) { return time ? time_json(*time) : json(nullptr); }
std::optional<TimePoint> optional_time_of(const json& value) {
  if (value.is_null()) return std::nullopt;
  return time_of(value);
}

json exit_json(const std::optional<ExitStatus>& exit) {
  if (!exit) return nullptr;
  return {{"code", exit->code}, {"signal", exit->signal}, {"core_dumped", exit->core_dumped}, {"known", exit->known}};
}
std::optional<ExitStatus> exit_of(const json& value) {
  if (value.is_null()) return std::nullopt;
  return ExitStatus{value.at("code").get<int>(), value.at("signal").get<int>(), value.at("core_dumped").get<bool>(),
                    value.value("known", true)};
}

}  // namespace

json ProfileRunner::snapshot() const {
  json budget = json::array();
  for (auto time : budget_.recent()) budget.push_back(time_json(time));
  json pending = nullptr;
  if (pending_failure_)
    pending = {{"exit", exit_json(pending_failure_->exit)},
               {"reason", pending_failure_->reason},
               {"by_supervisor", pending_failure_->by_supervisor}};
  json last_exit = nullptr;
  if (last_exit_) last_exit = {{"exit", exit_json(last_exit_->status)}, {"reason", last_exit_->reason}};
  return {{"phase", phase_names[static_cast<int>(phase_)]},
          {"reason", reason_},
          {"wanted", wanted_},
          {"after_stop", static_cast<int>(after_stop_)},
          {"pending_failure", pending},
          {"kill_at", time_json(kill_at_)},
          {"pid", pid_},
          {"started_at", time_json(started_at_)},
          {"healthy_since", optional_time(healthy_since_)},
          {"backoff_step", backoff_step_},
          {"port_wait_step", port_wait_step_},
          {"restarts", restarts_},
          {"planned_restarts", planned_restarts_},
          {"last_exit", last_exit},
          {"last_lines", last_lines_},
          {"probe_started", time_json(probe_started_)},
          {"failures", failures_},
          {"health", health_},
          {"readiness", readiness_},
          {"budget", budget},
          {"deadline", optional_time(deadline_.due())}};
}

void ProfileRunner::restore(const json& state) {
  const auto phase = state.at("phase").get<std::string>();
  const auto found = std::find(std::begin(phase_names), std::end(phase_names), phase);
  if (found == std::end(phase_names)) throw std::runtime_error(fmt::format("unknown phase \"{}\"", phase));
  phase_ = static_cast<Phase>(found - std::begin(phase_names));
  reason_ = state.at("reason").get<std::string>();
  wanted_ = state.at("wanted").get<bool>();
  after_stop_ = static_cast<AfterStop>(state.at("after_stop").get<int>());
  if (const auto& pending = state.at("pending_failure"); !pending.is_null())
    pending_failure_ = Failure{exit_of(pending.at("exit")), pending.at("reason").get<std::string>(),
                               pending.at("by_supervisor").get<bool>()};
  kill_at_ = time_of(state.at("kill_at"));
  pid_ = state.at("pid").get<pid_t>();
  started_at_ = time_of(state.at("started_at"));
  healthy_since_ = optional_time_of(state.at("healthy_since"));
  backoff_step_ = state.at("backoff_step").get<int>();
  port_wait_step_ = state.at("port_wait_step").get<int>();
  restarts_ = state.at("restarts").get<int>();
  planned_restarts_ = state.at("planned_restarts").get<int>();
  if (const auto& last_exit = state.at("last_exit"); !last_exit.is_null())
    last_exit_ = LastExit{exit_of(last_exit.at("exit")), last_exit.at("reason").get<std::string>()};
  last_lines_ = state.at("last_lines").get<std::vector<std::string>>();
  probe_started_ = time_of(state.at("probe_started"));
  failures_ = state.at("failures").get<int>();
  health_ = state.at("health").get<std::string>();
  readiness_ = state.at("readiness").get<std::string>();
  std::vector<TimePoint> budget;
  for (const auto& time : state.at("budget")) budget.push_back(time_of(time));
  budget_.restore(std::move(budget));

  if (auto deadline = optional_time_of(state.at("deadline"))) return deadline_.arm(*deadline);
  // No deadline while a probe was in flight (its answer arms the next one) or a CLI was asked
  // (negotiating): both were lost with the old process image, so they are made again now.
  if (has_child_phase()) return deadline_.arm(deadline_.now());
  if (phase_ == Phase::negotiating) begin_start();
}

std::optional<std::string> ProfileRunner::busy_for_reexec() const {
  if (phase_ == Phase::handoff)
    return fmt::format("profile {}: its gateway's CLI is confirming a planned restart", profile_->name);
  return std::nullopt;
}

}  // namespace moltbot::runtime
