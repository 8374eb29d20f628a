#pragma once
// The supervisor's side of sd_notify(3) (Type=notify units, docs/systemd.md): READY=1 once the
// fleet is up, a one-line STATUS= summary sent whenever it changes, WATCHDOG=1 from the event loop
// at half of WatchdogSec, RELOADING=1 and READY=1 around a reload, STOPPING=1 at shutdown.
// Without NOTIFY_SOCKET (not started by a service manager) it does nothing at all.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/runtime/fleet.h"

namespace moltbot::daemon {

// When READY=1 goes out at startup.
enum class Readiness {
  started,  // every autostart profile has been started (the default)
  healthy,  // every autostart profile has also been running (healthy) at least once
};

// "3 profiles: 2 running, 1 backoff": the STATUS= line.
std::string fleet_summary(const std::vector<runtime::ProfileStatus>& fleet);

class SystemdNotifier {
 public:
  // NOTIFY_SOCKET and WATCHDOG_* come from `env`, the supervisor's own environment.
  SystemdNotifier(boost::asio::io_context& io, runtime::Fleet& fleet, const Environment& env, Readiness readiness);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Fleet::start_all() has returned.
  void fleet_started();
  // Around a reload of the manifest, whether it was applied or rejected.
  void reloading();
  void reloaded();
  // The fleet is being stopped: also asks for enough stop time for the longest stop.timeout, so
  // a TimeoutStopSec= shorter than a gateway's drain does not SIGKILL it.
  void stopping();

 private:
  void schedule_flush();
  // READY=1 when the fleet has just become ready or a reload is done; STATUS= when it changed.
  void flush(bool reload_done = false);
  bool ready_condition_met() const;
  std::set<std::string> autostart_profiles() const;
  void send(const std::string& message) const;
  void arm_watchdog();

  boost::asio::io_context& io_;
  runtime::Fleet& fleet_;
  const std::string socket_;  // NOTIFY_SOCKET
  const bool enabled_;
  const Readiness readiness_;
  boost::asio::steady_timer watchdog_;
  std::chrono::microseconds watchdog_interval_{0};

  bool flush_pending_ = false;
  bool started_ = false;
  bool ready_sent_ = false;
  bool reloading_ = false;
  bool stopping_ = false;
  std::string last_status_;
  std::set<std::string> autostart_;
  std::set<std::string> been_running_;
};

}  // namespace moltbot::daemon
