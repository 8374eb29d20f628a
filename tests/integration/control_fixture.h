#pragma once
// Talking to a supervisor's control socket from a test: moltbot-supervisorctl as a process, and
// raw connections for what the CLI never sends (malformed, oversized, half-sent requests).
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/test/run_process.h"
#include "supervisor_fixture.h"

namespace moltbot::test {

// `moltbot-supervisorctl --socket <fleet's socket> ARGS...` run to completion.
ProcessResult supervisorctl(const SupervisorFixture& fleet, const std::vector<std::string>& args,
                            std::chrono::milliseconds deadline = std::chrono::milliseconds(30000));
// The same with its stdout a terminal (what an operator sees; `out` holds it).
// `moltbot-supervisorctl --socket <fleet's socket> ARGS...` run as `user`, with the groups a login
// of that user gets (setpriv --init-groups).
// `stdin_path`: its stdin (/dev/null when not given).
ProcessResult supervisorctl_as(const SupervisorFixture& fleet, const std::string& user,
                               const std::vector<std::string>& args,
                               std::optional<std::string> stdin_path = std::nullopt);

ProcessResult supervisorctl_on_terminal(const SupervisorFixture& fleet, const std::vector<std::string>& args);
// `moltbot-supervisorctl ARGS...` exactly as given (no --socket added), in `cwd` when given.
ProcessResult run_supervisorctl(const std::vector<std::string>& args, std::optional<std::string> cwd = std::nullopt,
                                std::chrono::milliseconds deadline = std::chrono::milliseconds(30000));

// moltbot-supervisorctl ARGS... running alongside the test (events, logs -f); its output goes to
// NAME.stdout and NAME.stderr in the fleet's dir.
std::unique_ptr<ChildProcess> start_ctl(SupervisorFixture& fleet, const std::string& name,
                                        const std::vector<std::string>& args);

// The JSON reply printed by `moltbot-supervisorctl --json ...`; with --wait, progress lines come
// first and the reply is the last line. Fails the test when it is not JSON.
nlohmann::json ctl_json(const ProcessResult& result);

// Waits until the supervisor answers on its control socket.
bool wait_control_socket(const SupervisorFixture& fleet);

class RawConnection {
 public:
  explicit RawConnection(const std::string& socket_path);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  void send(const std::string& bytes);
  void shutdown_write();
  // The next line as JSON, or nothing when the connection ends or `timeout` passes.
  std::optional<nlohmann::json> read_line(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  // True when the server closed the connection within `timeout` (after any lines it sent).
  bool closed_by_server(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buffer_;
};

std::string request_line(const std::string& command, const nlohmann::json& args = nlohmann::json::object());

}  // namespace moltbot::test
