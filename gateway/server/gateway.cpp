#include "gateway.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "exit_codes.h"
#include "detached_helpers.h"
#include "handoff_store.h"
#include "helper_process.h"
#include "log.h"

namespace moltbot::gateway {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// In-flight requests get this long after SIGTERM or a restart request; then their connections
// are closed, so the process always exits (or restarts) well within a second.
constexpr std::chrono::milliseconds drain_budget{750};

json ports_json(const Footprint& ports) {
  return json{{"gateway", ports.gateway},         {"bridge", ports.bridge},
              {"browser_control", ports.browser_control}, {"extension_relay", ports.extension_relay},
              {"canvas", ports.canvas},           {"cdp_start", ports.cdp_start},
              {"cdp_end", ports.cdp_end}};
}

// The fields /status and the state file share.
json identity_json(const Settings& settings) {
  return json{{"profile", settings.profile},
              {"pid", ::getpid()},
              {"config_path", settings.config_path.string()},
              {"state_dir", settings.state_dir.string()},
              {"workspace", settings.workspace.string()},
              {"ports", ports_json(settings.ports)}};
}

}  // namespace

Gateway::Gateway(asio::io_context& io, Settings settings, Faults faults, InstanceLock lock,
                 std::unique_ptr<StateDatabase> database)
    : io_(io),
      settings_(std::move(settings)),
      faults_(faults),
      lock_(std::move(lock)),
      database_(std::move(database)),
      state_path_((settings_.state_dir / ("gateway." + config_key(settings_.config_path) + ".state.json")).string()),
      process_instance_id_(random_uuid()),
      handler_(*this),
      stop_signals_(io, SIGTERM, SIGINT),
      restart_signals_(io, SIGUSR1, SIGUSR2),
      child_signal_(io),
      start_timer_(io),
      sidecars_timer_(io),
      exit_timer_(io),
      wedge_timer_(io),
      churn_timer_(io),
      db_timer_(io),
      drain_timer_(io),
      started_unix_ms_(unix_now_ms()) {}

const char* Gateway::phase_name(Phase phase) {
  switch (phase) {
    case Phase::starting: return "starting";
    case Phase::live: return "live";
    case Phase::draining: return "draining";
    case Phase::stopped: return "stopped";
  }
  return "unknown";
}

Startup Gateway::startup() const {
  switch (phase_) {
    case Phase::starting: return Startup::starting;
    case Phase::live: return Startup::started;
    case Phase::draining:
    case Phase::stopped: break;
  }
  return Startup::draining;
}

long long Gateway::uptime_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
}

std::string Gateway::status_json() const {
  json status = identity_json(settings_);
  status["phase"] = phase_name(phase_);
  status["uptime_s"] = uptime_ms() / 1000;
  status["state_file"] = state_path_;
  status["lock_file"] = lock_.path().string();
  status["restart_mode"] =
      settings_.restart.mode == RestartMode::external_supervisor ? "external-supervisor" : "in-process";
  status["in_process_restarts"] = in_process_restarts_;
  if (helper_pid_) status["helper_pid"] = *helper_pid_;
  if (!detached_helper_pids_.empty()) status["detached_helper_pids"] = detached_helper_pids_;
  if (squatter_pid_) status["squatter_pid"] = *squatter_pid_;
  if (!held_ports_.empty()) status["held_ports"] = held_ports_;
  return status.dump();
}

void Gateway::write_state() {
  json state = identity_json(settings_);
  state["phase"] = phase_name(phase_);
  state["started_at_ms"] = started_unix_ms_;
  state["updated_at_ms"] = unix_now_ms();
  state["writes"] = ++state_writes_;
  if (auto error = write_file_atomically(state_path_, state.dump(2) + "\n")) log_line("{}", *error);
}

void Gateway::start() {
  do_wait_stop_signal();
  do_wait_restart_signal();
  if (faults_.spawn_helper) {
    child_signal_.add(SIGCHLD);  // before the spawn, so an early death is not missed
    HelperSpawn helper = spawn_helper();
    if (!helper.pid) {
      log_line("{}", helper.error);
      finish(exit_code::failure);
      return;
    }
    helper_pid_ = helper.pid;
    log_line("started helper pid {} in its own session (test fault spawn_helper)", *helper_pid_);
    do_wait_child_signal();
  }
  if (!start_detached_helpers()) return finish(exit_code::failure);
  if (faults_.slow_start.count() > 0) {
    log_line("binding ports in {}ms (test fault slow_start)", faults_.slow_start.count());
    start_timer_.expires_after(faults_.slow_start);
    start_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) open_listeners();
    });
    return;
  }
  open_listeners();
}

void Gateway::do_wait_stop_signal() {
  stop_signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGTERM && faults_.ignore_sigterm) {
      log_line("ignoring SIGTERM (test fault ignore_sigterm)");
      do_wait_stop_signal();
      return;
    }
    begin_shutdown(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    if (phase_ != Phase::stopped) do_wait_stop_signal();  // a stop during a restart's drain
  });
}

// SIGUSR2 asks for a restart, as with the real gateway; SIGUSR1 (formerly a restart, now Node's
// inspector there) restarts nothing.
void Gateway::do_wait_restart_signal() {
  restart_signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGUSR1) {
      log_line("SIGUSR1 ignored: it restarts nothing; send SIGUSR2 to restart");
    } else {
      request_restart();
    }
    if (phase_ != Phase::stopped) do_wait_restart_signal();
  });
}

bool Gateway::start_detached_helpers() {
  if (faults_.double_fork_helpers > 0) {
    auto helpers = spawn_detached_helpers(faults_.double_fork_helpers, faults_.ignore_sigterm);
    detached_helper_pids_ = std::move(helpers.pids);
    if (!helpers.error.empty()) {
      log_line("{}", helpers.error);
      return false;
    }
    log_line("started {} helpers detached like setsid -f (test fault double_fork_helpers)",
             detached_helper_pids_.size());
  }
  if (faults_.port_squatter) {
    auto squatter = spawn_port_squatter(settings_.ports.gateway, faults_.ignore_sigterm);
    if (!squatter.pid) {
      log_line("{}", squatter.error);
      return false;
    }
    squatter_pid_ = squatter.pid;
    squatter_link_ = squatter.gateway_end;  // never closed: the kernel closes it when we die
    log_line("started squatter pid {} for port {}, detached like setsid -f (test fault port_squatter)",
             *squatter_pid_, settings_.ports.gateway);
  }
  return true;
}

// Reaps the helper if it dies first, so it never lingers as a zombie of a live gateway.
void Gateway::do_wait_child_signal() {
  child_signal_.async_wait([this](boost::system::error_code ec, int) {
    if (ec) return;
    int status = 0;
    if (helper_pid_ && ::waitpid(*helper_pid_, &status, WNOHANG) == *helper_pid_) {
      log_line("helper pid {} ended", *helper_pid_);
      helper_pid_.reset();
      return;
    }
    do_wait_child_signal();
  });
}

bool Gateway::listen(ListenerRole role, const asio::ip::address& address, int port, const char* what) {
  auto listener = std::make_shared<Listener>(io_, role, connections_, handler_, faults_.slow_reply);
  auto ec = listener->listen({address, static_cast<unsigned short>(port)});
  if (ec) {
    if (role == ListenerRole::gateway && ec == asio::error::address_in_use) {
      log_line("another gateway instance is already listening on ws://127.0.0.1:{}", port);
    } else if (ec == asio::error::address_in_use) {
      log_line("port {} ({}) is already in use", port, what);
    } else {
      log_line("cannot listen on {}:{} ({}): {}", address.to_string(), port, what, ec.message());
    }
    return false;
  }
  listeners_.push_back(std::move(listener));
  return true;
}

void Gateway::open_listeners() {
  const auto loopback = asio::ip::address_v4::loopback();
  const auto shared = settings_.bind == BindMode::lan ? asio::ip::address(asio::ip::address_v4::any())
                                                       : asio::ip::address(loopback);
  const Footprint& ports = settings_.ports;
  bool ok = listen(ListenerRole::gateway, shared, ports.gateway, "gateway") &&
            // Browser control drives a real browser: loopback only, whatever --bind says.
            listen(ListenerRole::browser_control, loopback, ports.browser_control, "browser control") &&
            listen(ListenerRole::canvas_host, shared, ports.canvas, "canvas host");
  for (int i = 0; ok && i < faults_.hold_ports; ++i) {
    ok = listen(ListenerRole::cdp, loopback, ports.cdp_start + i, "CDP");
    if (ok) held_ports_.push_back(ports.cdp_start + i);
  }
  if (!ok) {
    finish(exit_code::failure);
    return;
  }
  for (auto& listener : listeners_) listener->start_accepting();
  listening_ = true;
  log_line("profile {} listening on ws://{}:{} (browser control 127.0.0.1:{}, canvas host {}:{})",
           settings_.profile, shared.to_string(), ports.gateway, ports.browser_control, shared.to_string(),
           ports.canvas);
  if (in_process_restarts_ == 0) arm_fault_timers();
  begin_startup_phase();
}

// Listening is live (/healthz); started at once, or after the startup_sidecars test fault's delay
// (the real gateway's sidecars take seconds).
void Gateway::begin_startup_phase() {
  if (faults_.startup_sidecars.count() == 0) {
    phase_ = Phase::live;
    write_state();
    return;
  }
  log_line("startup pending for {}ms: {} (test fault startup_sidecars)", faults_.startup_sidecars.count(),
           startup_pending_reason);
  sidecars_timer_.expires_after(faults_.startup_sidecars);
  sidecars_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ != Phase::starting) return;
    log_line("started");
    phase_ = Phase::live;
    write_state();
  });
}

void Gateway::arm_fault_timers() {
  if (faults_.exit_after) {
    exit_timer_.expires_after(faults_.exit_after->delay);
    exit_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      log_line("exiting with status {} (test fault exit_after)", faults_.exit_after->code);
      finish(faults_.exit_after->code, /*record_stop=*/false);
    });
  }
  if (faults_.stop_health_after) {
    wedge_timer_.expires_after(*faults_.stop_health_after);
    wedge_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      log_line("no longer answering requests (test fault stop_health_after)");
      wedged_ = true;
    });
  }
  if (faults_.churn_state) do_churn_state();
  if (faults_.db_writes) do_db_write();
}

// A periodic timer that expired just before a stop cancelled it still runs its handler (the
// cancel finds nothing left to cancel): armed again from there, it would keep the loop, and so the
// process, alive after the stop (a db_writes=1ms gateway did, one SIGTERM in about 20, in the ASan
// build under load).
bool Gateway::periodic_work_wanted() const { return phase_ != Phase::draining && phase_ != Phase::stopped; }

void Gateway::do_churn_state() {
  churn_timer_.expires_after(std::max(*faults_.churn_state, std::chrono::milliseconds(1)));
  churn_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !periodic_work_wanted()) return;
    write_state();
    do_churn_state();
  });
}

void Gateway::do_db_write() {
  db_timer_.expires_after(std::max(*faults_.db_writes, std::chrono::milliseconds(1)));
  db_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !periodic_work_wanted()) return;
    record_db_write("timer");
    do_db_write();
  });
}

void Gateway::request_served() { record_db_write("request"); }

void Gateway::record_db_write(const char* source) {
  if (auto error = database_->record_write(source)) log_line("{}", *error);
}

void Gateway::begin_shutdown(const char* reason) {
  if (phase_ == Phase::stopped) return;
  if (phase_ == Phase::draining) {
    if (!stop_requested_) log_line("{}: stopping once the drain ends", reason);
    stop_requested_ = true;
    return;
  }
  log_line("{}: stopping", reason);
  start_timer_.cancel();
  if (!listening_) {
    finish(exit_code::ok);
    return;
  }
  exit_timer_.cancel();
  wedge_timer_.cancel();
  churn_timer_.cancel();
  db_timer_.cancel();
  drain([this] { finish(exit_code::ok); });
}

void Gateway::request_restart() {
  if (phase_ == Phase::draining || phase_ == Phase::stopped) {
    log_line("SIGUSR2 ignored: already stopping or restarting");
    return;
  }
  if (!listening_) {
    log_line("SIGUSR2 ignored: still binding its ports");
    return;
  }
  const std::string reason = take_restart_request(settings_.state_dir, ::getpid()).value_or("SIGUSR2");
  log_line("received SIGUSR2; restarting (reason {})", reason);
  drain([this, reason] { restart_after_drain(reason); });
}

void Gateway::drain(std::function<void()> then) {
  phase_ = Phase::draining;
  sidecars_timer_.cancel();
  for (auto& listener : listeners_) listener->close();
  drain_timer_.expires_after(drain_budget);
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    // Expired just as the drain ended: the gateway may have restarted in-process meanwhile.
    if (ec || phase_ != Phase::draining) return;
    log_line("drain budget of {}ms spent: closing open connections", drain_budget.count());
    connections_.stop_all();
  });
  connections_.drain([this, then = std::move(then)] {
    drain_timer_.cancel();
    then();
  });
}

// External mode: leave a handoff and exit 0 for the supervisor to start a new process; if the
// handoff cannot be written, restart in-process rather than exit without one (as the real one).
void Gateway::restart_after_drain(const std::string& reason) {
  if (stop_requested_) {
    finish(exit_code::ok);
    return;
  }
  if (settings_.restart.mode == RestartMode::external_supervisor) {
    Handoff handoff = make_handoff(::getpid(), process_instance_id_, reason, unix_now_ms());
    if (auto error = write_handoff(settings_.state_dir, handoff)) {
      log_line("external supervisor restart handoff could not be persisted ({}); falling back to in-process restart",
               *error);
    } else {
      log_line("restart mode: full process restart (supervisor restart)");
      finish(exit_code::ok);
      return;
    }
  } else {
    log_line("restart mode: in-process restart ({})", settings_.restart.why);
  }
  restart_in_process();
}

// Same process, same lock: new listeners on the same ports, then the startup phase again.
void Gateway::restart_in_process() {
  ++in_process_restarts_;
  listeners_.clear();
  held_ports_.clear();
  listening_ = false;
  phase_ = Phase::starting;
  open_listeners();
}

// Ends every pending operation so io_context::run() returns.
void Gateway::finish(int code, bool record_stop) {
  if (phase_ == Phase::stopped) return;
  exit_code_ = code;
  phase_ = Phase::stopped;
  for (auto& listener : listeners_) listener->close();
  connections_.stop_all();
  boost::system::error_code ignored;
  stop_signals_.cancel(ignored);
  restart_signals_.cancel(ignored);
  child_signal_.cancel(ignored);
  for (auto* timer : {&start_timer_, &sidecars_timer_, &exit_timer_, &wedge_timer_, &churn_timer_, &db_timer_, &drain_timer_}) {
    timer->cancel();
  }
  if (record_stop) write_state();
}

}  // namespace moltbot::gateway
