#pragma once
// Live re-exec (docs/supervisor.md, "Live re-exec"): the supervisor execs its program afresh, so
// an upgraded binary takes over, keeping its pid and with it every gateway as its child. What
// the new image needs (the manifest in effect, the fleet's runners, locks, pipes, the control
// socket's listener and the connection that asked) is written as JSON into a memfd whose
// descriptor, like the others, survives the exec. The state is versioned: a build reads every
// older version it knows; the program is asked first (`--reexec-check`) whether it reads ours, and
// whether it runs at all, so a broken upgrade leaves the old supervisor running as it was.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "moltbot/control/command_registry.h"
#include "moltbot/runtime/fleet.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::daemon {

// 1: the first. A newer build adds versions and keeps reading this one.
inline constexpr int reexec_state_version = 1;
inline constexpr const char* reexec_state_variable = "MOLTBOT_SUPERVISOR_REEXEC_STATE";
inline constexpr const char* reexec_check_flag = "--reexec-check";

// What `--reexec-check` prints: the state versions this build reads.
std::string reexec_check_reply();

// The file this process was started from, as a path to exec again: after an upgrade replaced it,
// the new file at the same path.
std::string own_program();

// Runs `program --reexec-check` (within 10 s); `done` gets why the program cannot take over, or
// nullopt when it can.
void check_program(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& program,
                   std::function<void(std::optional<std::string>)> done);

// Writes `state` into a memfd and execs `program` with `argv` and the current environment plus
// the memfd's number, keeping `keep_open` (and the memfd) open across the exec. Returns only when
// the exec failed: why, with every descriptor as it was.
std::string exec_with_state(const std::string& program, const std::vector<std::string>& argv,
                            const nlohmann::json& state, const std::vector<int>& keep_open);

// Hash of the running program's file (/proc/self/exe, which stays the old file after an upgrade
// replaced it): tells one build from another in `version`. Computed once per image.
std::string running_build();

// The `reexec` command of one supervisor process image, and what it reports.
class LiveReexec {
 public:
  struct Image {
    std::vector<std::string> argv;      // as this image was started, to start the next one alike
    std::string manifest_path;          // as given
    std::function<std::string()> manifest_text;  // of the manifest in effect
    std::function<int()> listening_fd;  // the control socket's
    // Its connections waiting for a request, but `except` (control_server.h).
    std::function<std::vector<int>(int except)> connections_between_requests;
    std::function<void()> before_exec;  // the status file written, the log flushed
  };
  // `handed_over`: the state this image was started with, if it was re-executed.
  LiveReexec(boost::asio::io_context& io, runtime::Reaper& reaper, runtime::Fleet& fleet, Image image,
             const nlohmann::json* handed_over);

  // The command: refused while the fleet is busy (control::CommandError), else the program is
  // checked and exec'd; the reply comes from the next image, or from this one when that failed.
  void request(control::ReplySink& sink);
  // For `version`: {"build", "reexecs"}.
  nlohmann::json identity() const;
  // In the new image, once the fleet and the control socket run: the client that asked is told.
  void answer_handed_over(const nlohmann::json& handed_over) const;

 private:
  // Why the exec failed; on success it does not return.
  std::string exec(int connection);

  boost::asio::io_context& io_;
  runtime::Reaper& reaper_;
  runtime::Fleet& fleet_;
  Image image_;
  int reexecs_ = 0;  // of this supervisor process, across images
  bool pending_ = false;
};

// In the new image, before anything else: the state handed over, or why it cannot be read;
// nullopt when this process was not re-executed. The variable is removed from the environment.
std::optional<std::variant<nlohmann::json, std::string>> take_handed_over_state();

// One reply line written to a connection handed over (blocking: it is one short line to a
// client waiting for it), then closed.
void reply_and_close(int connection, const nlohmann::json& reply);

}  // namespace moltbot::daemon
