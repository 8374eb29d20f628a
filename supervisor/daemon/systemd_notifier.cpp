#include "systemd_notifier.h"

#include <time.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/notify_socket.h"

namespace moltbot::daemon {

namespace {

using runtime::State;

// Room after the longest stop.timeout for SIGKILL, reaping and leftovers.
constexpr std::chrono::seconds stop_margin{10};

std::chrono::microseconds monotonic_now() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::nanoseconds(now.tv_nsec));
}

}  // namespace

std::string fleet_summary(const std::vector<runtime::ProfileStatus>& fleet) {
  // The states an operator looks for first come first.
  static constexpr std::array order = {State::running,  State::unhealthy, State::starting, State::backoff,
                                       State::stopping, State::fatal,     State::stopped};
  std::map<State, int> counts;
  for (const auto& profile : fleet) ++counts[profile.state];
  std::string summary = fmt::format("{} profile{}:", fleet.size(), fleet.size() == 1 ? "" : "s");
  const char* separator = " ";
  for (State state : order) {
    if (!counts.contains(state)) continue;
    summary += fmt::format("{}{} {}", separator, counts[state], runtime::to_string(state));
    separator = ", ";
  }
  return summary;
}

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io, runtime::Fleet& fleet, const Environment& env,
                                 Readiness readiness)
    : io_(io),
      fleet_(fleet),
      socket_(lookup(env, "NOTIFY_SOCKET").value_or("")),
      enabled_(!socket_.empty()),
      readiness_(readiness),
      watchdog_(io) {
  if (!enabled_) return;
  fleet_.on_event([this](const runtime::ProfileEvent& event) {
    if (event.kind == runtime::ProfileEvent::Kind::state && event.current == State::running)
      been_running_.insert(event.profile);
    schedule_flush();
  });
  if (auto timeout = runtime::watchdog_timeout(env)) {
    watchdog_interval_ = *timeout / 2;
    arm_watchdog();
  }
}

void SystemdNotifier::fleet_started() {
  if (!enabled_) return;
  started_ = true;
  autostart_ = autostart_profiles();
  flush();
}

void SystemdNotifier::reloading() {
  // While still starting, the service manager has no reload to track: READY=1 ends both.
  if (!enabled_ || !ready_sent_ || stopping_) return;
  reloading_ = true;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_now().count()));
}

void SystemdNotifier::reloaded() {
  if (!enabled_) return;
  autostart_ = autostart_profiles();
  flush(std::exchange(reloading_, false));
}

void SystemdNotifier::stopping() {
  if (!enabled_ || std::exchange(stopping_, true)) return;
  std::chrono::milliseconds longest{0};
  for (const auto& profile : fleet_.status())
    if (const auto* runner = fleet_.find(profile.name)) longest = std::max(longest, runner->profile().stop.timeout);
  const auto budget = std::chrono::duration_cast<std::chrono::microseconds>(longest + stop_margin);
  send(fmt::format("STOPPING=1\nEXTEND_TIMEOUT_USEC={}", budget.count()));
}

void SystemdNotifier::schedule_flush() {
  if (std::exchange(flush_pending_, true)) return;
  // Once per event-loop turn: a burst of transitions becomes one STATUS=, not a line per profile.
  boost::asio::post(io_, [this] {
    flush_pending_ = false;
    runtime::guarded(runtime::Handler::notify, [this] { flush(); });  // flushed again with the next change
  });
}

void SystemdNotifier::flush(bool reload_done) {
  std::string message;
  if (reload_done || (!ready_sent_ && !stopping_ && ready_condition_met())) {
    ready_sent_ = true;
    message = "READY=1\n";
  }
  auto status = fleet_summary(fleet_.status());
  if (status != last_status_) {
    last_status_ = status;
    message += "STATUS=" + status;
  }
  if (!message.empty()) send(message);
}

bool SystemdNotifier::ready_condition_met() const {
  if (!started_) return false;
  if (readiness_ == Readiness::started) return true;
  return std::ranges::includes(been_running_, autostart_);
}

std::set<std::string> SystemdNotifier::autostart_profiles() const {
  std::set<std::string> names;
  for (const auto& profile : fleet_.status())
    if (const auto* runner = fleet_.find(profile.name); runner && runner->profile().autostart) names.insert(profile.name);
  return names;
}

void SystemdNotifier::send(const std::string& message) const {
  if (int error = runtime::send_notification(socket_, message); error != 0)
    spdlog::warn("notify socket {}: {}", socket_, std::error_code(error, std::generic_category()).message());
}

void SystemdNotifier::arm_watchdog() {
  // From the event loop itself: a loop that is stuck stops the pings and the service manager
  // restarts the supervisor.
  watchdog_.expires_after(watchdog_interval_);
  watchdog_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    arm_watchdog();
    runtime::guarded(runtime::Handler::notify, [this] { send("WATCHDOG=1"); });
  });
}

}  // namespace moltbot::daemon
