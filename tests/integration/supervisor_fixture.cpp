#include "supervisor_fixture.h"

#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/wait_until.h"

namespace moltbot::test {

namespace {

// Fast timings so the suite stays short; profiles override what their test is about.
constexpr const char* defaults_yaml = R"(defaults:
  command: [")" MOLTBOT_GATEWAY_BIN R"(", --profile, "{profile}", --port, "{port}"]
  health: {type: http, path: /healthz, interval: 200ms, timeout: 1s, failures: 3, start_period: 10s}
  restart: {policy: always, backoff: {initial: 100ms, max: 1s, factor: 2}, reset_after: 30s, max_restarts: 10, window: 1m}
  stop: {signal: SIGTERM, timeout: 3s}
)";

bool block_covers(int block_base, int port) { return port >= block_base && port < block_base + gateway_footprint; }

std::string tail(const std::string& text, std::size_t lines = 20) {
  auto start = text.size();
  for (std::size_t seen = 0; start > 0 && seen <= lines;)
    if (text[--start] == '\n') ++seen;
  return text.substr(start);
}

}  // namespace

SupervisorFixture::SupervisorFixture(const Profiles& profiles) { write_manifest(profiles); }

int SupervisorFixture::spare_port() {
  int port = find_free_port_block(1);
  while (std::any_of(ports.begin(), ports.end(), [&](const auto& profile) { return block_covers(profile.second, port); }))
    port = find_free_port_block(1);
  spare_ports_.insert(port);
  return port;
}

void SupervisorFixture::write_manifest(const Profiles& profiles) {
  std::ostringstream yaml;
  yaml << "version: 1\nsupervisor:\n  log_dir: ./logs\n  socket: ./control.sock\n" << supervisor_yaml << defaults_yaml
       << "profiles:\n";
  for (const auto& [name, options] : profiles) {
    int port = ports.contains(name) ? ports[name] : 0;
    // Blocks must not overlap each other or a spare port either: none is bound until the
    // supervisor runs.
    while (port == 0 ||
           std::any_of(spare_ports_.begin(), spare_ports_.end(), [&](int spare) { return block_covers(port, spare); }) ||
           std::any_of(ports.begin(), ports.end(), [&](const auto& other) {
             return other.first != name && std::abs(other.second - port) < gateway_footprint;
           }))
      port = find_free_port_block();
    ports[name] = port;
    yaml << "  " << name << ":\n"
         << "    role: " << options.role << "\n"
         << "    port: " << port << "\n"
         << "    state_dir: ./" << name << "/state\n"
         << "    config_path: ./" << name << "/state/clawdbot.json\n"
         << "    workspace: ./" << name << "/workspace\n";
    if (!options.faults.empty()) yaml << "    env: {MOLTBOT_GATEWAY_TEST_FAULTS: \"" << options.faults << "\"}\n";
    for (const auto& [key, value] : options.overrides) yaml << "    " << key << ": " << value << "\n";
  }
  manifest = dir.write("fleet.yaml", yaml.str());
}

SupervisorFixture::~SupervisorFixture() {
  // Gateways die with their supervisor (PR_SET_PDEATHSIG) unless it started them to be adopted
  // after a crash: they, helpers in their own sessions and anything else the test saw are killed
  // by pid, and what is left in a profile's cgroup with it.
  for (const auto& supervisor : supervisors_) supervisor->signal(SIGKILL);
  for (pid_t pid : processes()) ::kill(pid, SIGKILL);
  for (pid_t pid : tracked_)
    if (process_alive(pid)) ::kill(pid, SIGKILL);
  supervisors_.clear();
  for (const auto& [name, port] : ports) remove_profile_cgroup(dir.path() / name / "state");
}

std::vector<pid_t> SupervisorFixture::processes() const {
  const std::string home = "HOME=" + dir.path().string();
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  if (!proc) return found;
  while (auto* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || !process_alive(static_cast<pid_t>(pid))) continue;
    if (environment_of(static_cast<pid_t>(pid)).contains(home)) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return found;
}

ChildProcess& SupervisorFixture::start_supervisor(const SupervisorLaunch& launch) {
  ChildOptions options;
  auto index = std::to_string(supervisors_.size() + 1);
  status_files_.push_back(launch.status_file.value_or(dir.path() / ("status-" + index + ".json")));
  options.argv = {launch.program.empty() ? std::string(MOLTBOT_SUPERVISORD_BIN) : launch.program.string(), "--manifest", manifest.string(), "--status-file",
                  status_files_.back().string()};
  options.argv.insert(options.argv.end(), launch.args.begin(), launch.args.end());
  if (!launch.own_pid_variables.empty() || launch.open_files || !launch.cgroup.empty()) {
    // The shell learns its pid ($$) and keeps it through exec: the supervisor's pid is known
    // before it starts, and it is in its cgroup from its first instruction. Its limits are the
    // supervisor's too.
    std::string script;
    for (const auto& name : launch.own_pid_variables) script += "export " + name + "=$$; ";
    if (launch.open_files) script += "ulimit -n " + std::to_string(*launch.open_files) + "; ";
    if (!launch.cgroup.empty()) script += "echo $$ > '" + (launch.cgroup / "cgroup.procs").string() + "' && ";
    options.argv.insert(options.argv.begin(), {"/bin/sh", "-c", script + "exec \"$@\"", "sh"});
  }
  options.env = launch.env;
  options.env["HOME"] = dir.path().string();
  options.env["PATH"] = "/usr/bin:/bin";
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) options.env[name] = value;
  options.output_dir = dir.path();
  options.name = "supervisord-" + index;
  options.passed_fds = launch.passed_fds;
  supervisors_.push_back(std::make_unique<ChildProcess>(options));
  return *supervisors_.back();
}

nlohmann::json SupervisorFixture::status(const std::string& profile) {
  if (status_files_.empty()) return nullptr;
  auto all = nlohmann::json::parse(read_file(status_file()), nullptr, false);
  if (!all.is_array()) return nullptr;
  for (const auto& entry : all) {
    if (entry.value("name", "") != profile) continue;
    if (entry["pid"].is_number()) track(entry["pid"].get<pid_t>());
    return entry;
  }
  return nullptr;
}

bool SupervisorFixture::wait_status(const std::string& profile,
                                    const std::function<bool(const nlohmann::json&)>& condition,
                                    std::chrono::milliseconds timeout) {
  nlohmann::json entry;
  if (wait_until(
          [&] {
            entry = status(profile);
            return !entry.is_null() && condition(entry);
          },
          timeout, std::chrono::milliseconds(20)))
    return true;
  // Shown with the assertion that fails on this wait: a run in CI leaves nothing else behind.
  UNSCOPED_INFO("waited " << timeout.count() << " ms for " << profile << "; its last status: "
                          << (entry.is_null() ? std::string("none") : entry.dump()) << "\nthe supervisor's stderr, last lines:\n"
                          << tail(supervisors_.empty() ? std::string() : supervisor().err()) << "\n" << profile
                          << ".log, last lines:\n" << tail(profile_log(profile)));
  return false;
}

bool SupervisorFixture::wait_state(const std::string& profile, const std::string& state,
                                   std::chrono::milliseconds timeout) {
  return wait_status(profile, [&](const nlohmann::json& entry) { return entry["state"] == state; }, timeout);
}

pid_t SupervisorFixture::running_pid(const std::string& profile) {
  if (!wait_state(profile, "running")) return 0;
  return status(profile)["pid"].get<pid_t>();
}

nlohmann::json SupervisorFixture::gateway_status(const std::string& profile) {
  auto result = http_get("127.0.0.1", ports.at(profile), "/status", std::chrono::milliseconds(1000));
  if (!result.ok()) return nullptr;
  auto status = nlohmann::json::parse(result.response->body, nullptr, false);
  if (status.contains("helper_pid")) track(status["helper_pid"].get<pid_t>());
  if (status.contains("squatter_pid")) track(status["squatter_pid"].get<pid_t>());
  for (const auto& helper : status.value("detached_helper_pids", nlohmann::json::array())) track(helper.get<pid_t>());
  return status;
}

std::string SupervisorFixture::profile_log(const std::string& profile) const {
  return read_file(dir.path() / "logs" / (profile + ".log"));
}

std::vector<pid_t> SupervisorFixture::detached_helpers(const std::string& profile) {
  std::vector<pid_t> pids;
  for (const auto& pid : gateway_status(profile).value("detached_helper_pids", nlohmann::json::array()))
    pids.push_back(pid.get<pid_t>());
  return pids;
}

std::set<std::string> environment_of(pid_t pid) {
  std::set<std::string> entries;
  std::istringstream text(read_file("/proc/" + std::to_string(pid) + "/environ"));
  for (std::string entry; std::getline(text, entry, '\0');) entries.insert(entry);
  return entries;
}

std::filesystem::path recorded_cgroup(const std::filesystem::path& state_dir) {
  const auto text = read_file(state_dir / "supervisor.cgroup");
  return text.substr(0, text.find('\n'));
}

void remove_profile_cgroup(const std::filesystem::path& state_dir) {
  const auto cgroup = recorded_cgroup(state_dir);
  if (cgroup.empty()) return;
  std::ofstream(cgroup / "cgroup.kill") << "1";
  wait_until([&] { return read_file(cgroup / "cgroup.events").find("populated 1") == std::string::npos; },
             std::chrono::seconds(5));
  std::error_code ignored;
  std::filesystem::remove(cgroup, ignored);
  // moltbot-supervisord/INSTANCE, made by a supervisor at the root of the hierarchy
  if (cgroup.parent_path().parent_path().filename() == "moltbot-supervisord")
    std::filesystem::remove(cgroup.parent_path(), ignored);
}

bool process_alive(pid_t pid) {
  const auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace moltbot::test
