#include "control_fixture.h"

#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "moltbot/test/wait_until.h"

namespace moltbot::test {

using namespace std::chrono;

namespace {

// moltbot-supervisorctl ARGS, with an environment of PATH and the sanitizers' options.
struct CtlInvocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
};

CtlInvocation ctl_invocation(const std::vector<std::string>& args) {
  CtlInvocation ctl{{MOLTBOT_SUPERVISORCTL_BIN}, {{"PATH", "/usr/bin:/bin"}}};
  ctl.argv.insert(ctl.argv.end(), args.begin(), args.end());
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) ctl.env[name] = value;
  return ctl;
}

std::vector<std::string> on_fleet_socket(const SupervisorFixture& fleet, const std::vector<std::string>& args) {
  std::vector<std::string> all{"--socket", fleet.control_socket().string()};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

ProcessResult supervisorctl(const SupervisorFixture& fleet, const std::vector<std::string>& args,
                            milliseconds deadline) {
  return run_supervisorctl(on_fleet_socket(fleet, args), std::nullopt, deadline);
}

ProcessResult supervisorctl_on_terminal(const SupervisorFixture& fleet, const std::vector<std::string>& args) {
  auto ctl = ctl_invocation(on_fleet_socket(fleet, args));
  ProcessRun run;
  run.argv = std::move(ctl.argv);
  run.env = std::move(ctl.env);
  run.stdout_terminal = true;
  return run_process(run);
}

ProcessResult run_supervisorctl(const std::vector<std::string>& args, std::optional<std::string> cwd,
                                milliseconds deadline) {
  auto ctl = ctl_invocation(args);
  ProcessRun run;
  run.argv = std::move(ctl.argv);
  run.env = std::move(ctl.env);
  run.cwd = std::move(cwd);
  run.deadline = deadline;
  return run_process(run);
}

std::unique_ptr<ChildProcess> start_ctl(SupervisorFixture& fleet, const std::string& name,
                                        const std::vector<std::string>& args) {
  auto ctl = ctl_invocation(on_fleet_socket(fleet, args));
  ChildOptions options;
  options.argv = std::move(ctl.argv);
  options.env = std::move(ctl.env);
  options.output_dir = fleet.dir.path();
  options.name = name;
  return std::make_unique<ChildProcess>(options);
}

nlohmann::json ctl_json(const ProcessResult& result) {
  INFO(result.out << result.err);
  auto text = result.out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const bool lines = text.find("\n{\"progress\"") != std::string::npos || text.starts_with("{\"progress\"");
  auto parsed = nlohmann::json::parse(lines ? text.substr(text.rfind('\n') + 1) : text, nullptr, false);
  REQUIRE(!parsed.is_discarded());
  return parsed;
}

bool wait_control_socket(const SupervisorFixture& fleet) {
  return wait_until([&] { return RawConnection(fleet.control_socket().string()).connected(); }, milliseconds(15000),
                    milliseconds(20));
}

RawConnection::RawConnection(const std::string& socket_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void RawConnection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto written = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (written <= 0) return;
    sent += static_cast<std::size_t>(written);
  }
}

void RawConnection::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

std::optional<nlohmann::json> RawConnection::read_line(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
      auto line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return nlohmann::json::parse(line, nullptr, false);
    }
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    char chunk[65536];
    auto got = ::read(fd_, chunk, sizeof chunk);
    if (got <= 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

bool RawConnection::closed_by_server(milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  for (;;) {
    auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left)) <= 0) return false;
    char chunk[65536];
    auto got = ::read(fd_, chunk, sizeof chunk);
    if (got <= 0) return true;
  }
}

std::string request_line(const std::string& command, const nlohmann::json& args) {
  return nlohmann::json{{"version", 1}, {"command", command}, {"args", args}}.dump() + "\n";
}

ProcessResult supervisorctl_as(const SupervisorFixture& fleet, const std::string& user,
                               const std::vector<std::string>& args, std::optional<std::string> stdin_path) {
  const passwd* entry = ::getpwnam(user.c_str());
  if (!entry) throw std::runtime_error("no user " + user);
  ProcessRun run;
  run.argv = {"/usr/bin/setpriv", "--reuid=" + user, "--regid=" + std::to_string(entry->pw_gid), "--init-groups",
              "--", MOLTBOT_SUPERVISORCTL_BIN, "--socket", fleet.control_socket().string()};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env = {{"PATH", "/usr/bin:/bin"}};
  run.stdin_path = std::move(stdin_path);
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  return run_process(run);
}

}  // namespace moltbot::test
