#include "gateway_control.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "handoff_store.h"
#include "local_http.h"
#include "running_gateway.h"
#include "settings.h"

namespace moltbot::gateway {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds probe_timeout{2000};
// How often `gateway restart` looks for the restarted gateway; it wakes at once when the old
// process exits.
constexpr milliseconds restart_poll_interval{100};

// Fields of a reply that may come from anything listening on the port: absent or of another
// type reads as the fallback.
long long integer_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<long long>() : 0;
}

std::string string_at(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What the gateway on a port says about itself through /status and /startupz.
struct Probe {
  json status = json::object();   // empty when unreachable
  json startup = json::object();  // empty when /startupz gave no JSON object
  bool reachable = false;
  std::string error;

  long long pid() const { return integer_at(status, "pid"); }
  long long in_process_restarts() const { return integer_at(status, "in_process_restarts"); }
  bool started() const { return string_at(startup, "status") == "started"; }
  std::string startup_text() const {
    std::string text = string_at(startup, "status");
    if (text.empty()) return "unknown";
    if (std::string pending = string_at(startup, "pendingReason"); !pending.empty()) text += " (" + pending + ")";
    return text;
  }
};

Probe probe(int port, milliseconds timeout) {
  Probe result;
  HttpOutcome status = get_local(port, "/status", timeout);
  if (!status.reply) {
    result.error = status.error;
    return result;
  }
  json body = json::parse(status.reply->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || integer_at(body, "pid") <= 0) {
    result.error = fmt::format("/status answered HTTP {} without a gateway's status", status.reply->status);
    return result;
  }
  result.status = std::move(body);
  result.reachable = true;
  if (HttpOutcome startup = get_local(port, "/startupz", timeout); startup.reply) {
    json startup_body = json::parse(startup.reply->body, nullptr, /*allow_exceptions=*/false);
    if (startup_body.is_object()) result.startup = std::move(startup_body);
  }
  return result;
}

std::optional<Settings> settings_or_report(const CommandLine& command_line, const Environment& env, int& exit_status) {
  SettingsResult settings = resolve_settings(command_line, env);
  if (!settings.settings) {
    fmt::print(stderr, "{}\n", settings.error);
    exit_status = settings.exit_code;
  }
  return settings.settings;
}

int restart_failed(const std::string& why) {
  fmt::print(stderr, "Gateway restart failed: {}\n", why);
  return exit_code::failure;
}

// Closes the pidfd on every return path.
class ProcessHandle {
 public:
  explicit ProcessHandle(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~ProcessHandle() {
    if (fd_ >= 0) ::close(fd_);
  }
  ProcessHandle(const ProcessHandle&) = delete;
  ProcessHandle& operator=(const ProcessHandle&) = delete;

  bool valid() const { return fd_ >= 0; }
  // Sends through the pidfd, so a reused pid can never receive it.
  bool signal(int signal) const { return ::syscall(SYS_pidfd_send_signal, fd_, signal, nullptr, 0) == 0; }
  // Waits up to `timeout` for the process to end; true once it has.
  bool wait_exit(milliseconds timeout) const {
    pollfd ready{fd_, POLLIN, 0};
    return ::poll(&ready, 1, static_cast<int>(timeout.count())) > 0;
  }

 private:
  int fd_;
};

}  // namespace

int run_status(const CommandLine& command_line, const Environment& env) {
  int exit_status = exit_code::ok;
  auto settings = settings_or_report(command_line, env, exit_status);
  if (!settings) return exit_status;
  const int port = settings->ports.gateway;
  fmt::print("Profile: {}\nConfig: {}\nState dir: {}\nGateway: port={}\nProbe target: http://127.0.0.1:{}\n",
             settings->profile, settings->config_path.string(), settings->state_dir.string(), port, port);
  Probe result = probe(port, probe_timeout);
  if (!result.reachable) {
    fmt::print(stderr, "Connectivity probe: failed\nProbe target: http://127.0.0.1:{}\n  {}\n", port, result.error);
    return exit_code::failure;
  }
  fmt::print("Connectivity probe: ok\nGateway pid: {}\nStartup: {}\n", result.pid(), result.startup_text());
  const std::string config = string_at(result.status, "config_path");
  if (config != settings->config_path.string()) {
    fmt::print(stderr, "Warning: the gateway on port {} runs with config {}, not {}\n", port, config,
               settings->config_path.string());
  }
  return exit_code::ok;
}

int run_restart(const CommandLine& command_line, const Environment& env) {
  int exit_status = exit_code::ok;
  auto settings = settings_or_report(command_line, env, exit_status);
  if (!settings) return exit_status;
  const int port = settings->ports.gateway;

  RunningGateway running = find_running_gateway(settings->state_dir, settings->config_path);
  if (!running.pid) return restart_failed(running.error);
  const pid_t old_pid = *running.pid;
  ProcessHandle process(old_pid);
  if (!process.valid()) return restart_failed(fmt::format("gateway pid {} is gone: {}", old_pid, std::strerror(errno)));

  // Before the signal: the port must be answered by that very gateway, or nothing afterwards
  // could tell its restart from anything else.
  Probe before = probe(port, probe_timeout);
  if (!before.reachable) {
    return restart_failed(fmt::format("gateway pid {} does not answer on port {}: {}", old_pid, port, before.error));
  }
  if (before.pid() != old_pid) {
    return restart_failed(fmt::format("port {} is answered by pid {}, not by gateway pid {} of profile {}", port,
                                      before.pid(), old_pid, settings->profile));
  }
  if (auto error = write_restart_request(settings->state_dir, old_pid, "gateway.restart")) {
    fmt::print(stderr, "Warning: {}; the restart will be recorded as a bare SIGUSR2\n", *error);
  }
  if (!process.signal(SIGUSR2)) {
    return restart_failed(fmt::format("cannot signal gateway pid {}: {}", old_pid, std::strerror(errno)));
  }
  fmt::print("Restart requested: SIGUSR2 sent to gateway pid {} (profile {}).\n", old_pid, settings->profile);

  const auto deadline = Clock::now() + command_line.wait_timeout;
  bool exited = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left <= milliseconds::zero()) break;
    Probe now = probe(port, std::min(probe_timeout, left));
    if (now.reachable && now.started() && now.pid() != old_pid) {
      fmt::print("Gateway restarted: pid {} exited for its supervisor, pid {} is started on port {}.\n", old_pid,
                 now.pid(), port);
      return exit_code::ok;
    }
    if (now.reachable && now.started() && now.in_process_restarts() > before.in_process_restarts()) {
      fmt::print("Gateway restarted in-process: pid {} is started again on port {}.\n", old_pid, port);
      return exit_code::ok;
    }
    const auto pause = std::min(restart_poll_interval, std::max(milliseconds::zero(), left));
    if (exited) {
      ::poll(nullptr, 0, static_cast<int>(pause.count()));
    } else {
      exited = process.wait_exit(pause);
    }
  }
  if (exited) {
    return restart_failed(fmt::format(
        "gateway pid {} exited for the restart, but no gateway started on port {} within {}ms (is a supervisor "
        "running it?)",
        old_pid, port, command_line.wait_timeout.count()));
  }
  return restart_failed(
      fmt::format("gateway pid {} did not restart within {}ms", old_pid, command_line.wait_timeout.count()));
}

}  // namespace moltbot::gateway
