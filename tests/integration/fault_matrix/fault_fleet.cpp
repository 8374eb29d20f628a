#include "fault_fleet.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "../control_fixture.h"
#include "fault_table.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/wait_until.h"

namespace moltbot::test::fault_matrix {

using namespace std::chrono_literals;

const std::vector<std::string> FaultFleet::names{"main", "rescue", "alpha", "beta", "gamma"};

namespace {

Profiles fleet_profiles(const Profiles& changes) {
  Profiles profiles{{"main", main_profile()},
                    {"rescue", rescue_profile()},
                    {"alpha", main_profile()},
                    {"beta", main_profile()},
                    {"gamma", main_profile()}};
  for (const auto& [name, options] : changes) profiles[name] = options;
  return profiles;
}

// NUL-separated entries of /proc/PID/FILE.
std::vector<std::string> proc_entries(pid_t pid, const char* file) {
  std::vector<std::string> entries;
  std::istringstream text(read_file("/proc/" + std::to_string(pid) + "/" + file));
  for (std::string entry; std::getline(text, entry, '\0');) entries.push_back(entry);
  return entries;
}

}  // namespace

FaultFleet::FaultFleet(const Profiles& changes) : fixture(fleet_profiles(changes)) {}

ChildProcess& FaultFleet::start(const std::set<std::string>& not_running, const SupervisorLaunch& launch) {
  auto& supervisor = this->launch(launch);
  wait_running(not_running);
  return supervisor;
}

ChildProcess& FaultFleet::launch(const SupervisorLaunch& launch) {
  auto& supervisor = fixture.start_supervisor(launch);
  REQUIRE(wait_control_socket(fixture));
  return supervisor;
}

void FaultFleet::wait_running(const std::set<std::string>& not_running) {
  pids_at_start_.clear();
  for (const auto& name : names) {
    if (not_running.contains(name)) continue;
    REQUIRE(wait_state(name, "running"));
    pids_at_start_[name] = status(name)["pid"].get<pid_t>();
  }
}

json FaultFleet::request(const std::string& command, const json& args) {
  RawConnection connection(fixture.control_socket().string());
  if (!connection.connected()) return nullptr;
  connection.send(request_line(command, args));
  auto reply = connection.read_line(10s);
  return reply ? *reply : json(nullptr);
}

json FaultFleet::status(const std::string& profile) {
  auto reply = request("status");
  if (reply.is_null() || reply["ok"] != true) return nullptr;
  for (const auto& entry : reply["data"]) {
    if (entry["name"] != profile) continue;
    if (entry["pid"].is_number()) fixture.track(entry["pid"].get<pid_t>());
    return entry;
  }
  return nullptr;
}

bool FaultFleet::wait(const std::string& profile, const std::function<bool(const json&)>& condition,
                      std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto entry = status(profile);
        return !entry.is_null() && condition(entry);
      },
      timeout, 20ms);
}

bool FaultFleet::wait_state(const std::string& profile, const std::string& state, std::chrono::milliseconds timeout) {
  return wait(profile, [&](const json& entry) { return entry["state"] == state; }, timeout);
}

pid_t FaultFleet::wait_new_pid(const std::string& profile, pid_t old_pid, std::chrono::milliseconds timeout) {
  pid_t found = 0;
  wait(
      profile,
      [&](const json& entry) {
        if (entry["state"] != "running" || !entry["pid"].is_number() || entry["pid"] == old_pid) return false;
        found = entry["pid"].get<pid_t>();
        return true;
      },
      timeout);
  return found;
}

void FaultFleet::check_untouched(const std::set<std::string>& faulty) {
  int untouched = 0, others = 0;
  for (const auto& [name, pid] : pids_at_start_) {
    if (faulty.contains(name)) continue;
    ++others;
    INFO("bystander " << name);
    auto entry = status(name);
    REQUIRE_FALSE(entry.is_null());
    CHECK(entry["state"] == "running");
    CHECK(entry["pid"] == pid);
    CHECK(entry["restarts"] == 0);
    bool healthy = http_get("127.0.0.1", fixture.ports.at(name), "/healthz").ok();
    CHECK(healthy);
    if (entry["state"] == "running" && entry["pid"] == pid && entry["restarts"] == 0 && healthy) ++untouched;
  }
  observe(std::to_string(untouched) + " of " + std::to_string(others) +
          " other profiles untouched (same pid, 0 restarts, /healthz 200)");
}

pid_t gateway_pid(int port) {
  auto reply = http_get("127.0.0.1", port, "/status", 1000ms);
  if (!reply.ok()) return 0;
  auto status = json::parse(reply.response->body, nullptr, false);
  return status.is_object() && status["pid"].is_number() ? status["pid"].get<pid_t>() : 0;
}

std::string command_line(pid_t pid) {
  std::string line;
  for (const auto& argument : proc_entries(pid, "cmdline")) line += (line.empty() ? "" : " ") + argument;
  return line;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
  return count;
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace moltbot::test::fault_matrix
