#pragma once
// The running gateway: owns the listeners, the signal handling, the state file, restarts and the
// test-fault timers, on the one io_context that main() runs. run() returns when no work is left;
// the exit status is then exit_code().
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "connection_manager.h"
#include "faults.h"
#include "instance_lock.h"
#include "listener.h"
#include "request_handler.h"
#include "settings.h"
#include "state_database.h"

namespace moltbot::gateway {

class Gateway final : public StatusSource {
 public:
  Gateway(boost::asio::io_context& io, Settings settings, Faults faults, InstanceLock lock,
          std::unique_ptr<StateDatabase> database);
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();
  int exit_code() const { return exit_code_; }

  Startup startup() const override;
  bool wedged() const override { return wedged_; }
  long long uptime_ms() const override;
  std::string status_json() const override;
  void request_served() override;

 private:
  // starting: binding its ports, then (listening_) its startup phase; live: started.
  enum class Phase { starting, live, draining, stopped };
  static const char* phase_name(Phase phase);

  void do_wait_stop_signal();
  void do_wait_restart_signal();
  void do_wait_child_signal();
  // The double_fork_helpers and port_squatter faults; false when one could not be started.
  bool start_detached_helpers();
  void open_listeners();
  bool listen(ListenerRole role, const boost::asio::ip::address& address, int port, const char* what);
  void begin_startup_phase();
  void arm_fault_timers();
  void do_churn_state();
  bool periodic_work_wanted() const;
  void do_db_write();
  void record_db_write(const char* source);
  void begin_shutdown(const char* reason);
  void request_restart();
  // Closes the listeners and lets the open connections finish (bounded), then runs `then`.
  void drain(std::function<void()> then);
  void restart_after_drain(const std::string& reason);
  void restart_in_process();
  // record_stop: write the state file as "stopped"; a fault exit leaves it as a crash would.
  void finish(int code, bool record_stop = true);
  void write_state();

  boost::asio::io_context& io_;
  Settings settings_;
  Faults faults_;
  InstanceLock lock_;
  std::unique_ptr<StateDatabase> database_;
  std::string state_path_;
  std::string process_instance_id_;
  ConnectionManager connections_;
  RequestHandler handler_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set restart_signals_;
  boost::asio::signal_set child_signal_;
  boost::asio::steady_timer start_timer_;     // slow_start
  boost::asio::steady_timer sidecars_timer_;  // startup_sidecars
  boost::asio::steady_timer exit_timer_;      // exit_after
  boost::asio::steady_timer wedge_timer_;     // stop_health_after
  boost::asio::steady_timer churn_timer_;     // churn_state
  boost::asio::steady_timer db_timer_;        // db_writes
  boost::asio::steady_timer drain_timer_;     // bounds the graceful drain
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  long long started_unix_ms_ = 0;
  long long state_writes_ = 0;
  long long in_process_restarts_ = 0;
  std::vector<int> held_ports_;
  std::optional<pid_t> helper_pid_;
  std::vector<pid_t> detached_helper_pids_;  // double_fork_helpers: orphans at once, not ours to reap
  std::optional<pid_t> squatter_pid_;        // port_squatter
  int squatter_link_ = -1;                   // its end of the squatter's pipe: closed by our death
  Phase phase_ = Phase::starting;
  bool listening_ = false;
  bool stop_requested_ = false;  // SIGTERM/SIGINT while draining for a restart: stop instead
  bool wedged_ = false;
  int exit_code_ = 0;
};

}  // namespace moltbot::gateway
