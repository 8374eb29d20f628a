#pragma once
// A command run on a client's behalf (the control socket's `exec`): its stdin fed from the client
// one chunk at a time (or /dev/null), its stdout and stderr handed on as they come, in whole lines with the secrets `<redacted>` (as the profile's log does), its
// exit reported once it has exited and both streams have ended, and everything of it (its process
// group) killed when the client goes first. Unlike run_cli() nothing is kept and there is no
// deadline: the client decides how long it waits.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "moltbot/common/secret_redactor.h"
#include "moltbot/runtime/exit_status.h"
#include "moltbot/runtime/piped_spawn.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

class Reaper;

class StreamedRun {
 public:
  struct Callbacks {
    // fd 1 (stdout) or 2 (stderr): whole lines, several at once; a longer stretch without a
    // newline in pieces of chunk_bytes (a secret cut there is not caught); the end as it is.
    std::function<void(int fd, std::string_view bytes)> output;
    // Once: its exit status, or (exit empty) why the run failed on the supervisor's side.
    std::function<void(std::optional<ExitStatus> exit, const std::string& failure)> done;
  };
  static constexpr std::size_t chunk_bytes = 16 * 1024;  // read at once; also a piece of a long line

  // Started (its own process group; stdin a pipe for ChildInput::pipe, else /dev/null), or why
  // not: the spawn's error, a shortage's message. Callbacks run later, from the loop, never after
  // abandon().
  static std::variant<std::shared_ptr<StreamedRun>, std::string> start(boost::asio::io_context& io, Reaper& reaper,
                                                                       SpawnRequest request, SecretRedactor secrets,
                                                                       Callbacks callbacks,
                                                                       ChildInput input = ChildInput::none);
  virtual ~StreamedRun() = default;

  virtual pid_t pid() const = 0;
  // Writes `bytes` to the command's stdin; `written` runs once from the loop when all of it is in
  // the pipe (nullopt) or why it cannot be (no stdin pipe, closed, the command closed its end, a
  // chunk still being written: one at a time). Not after abandon().
  virtual void write_input(std::string bytes, std::function<void(std::optional<std::string> failure)> written) = 0;
  // The end of its stdin (the command reads end-of-file once the pipe is drained).
  virtual void close_input() = 0;
  // The client is gone: kills what is left of the command's process group and calls nothing more.
  virtual void abandon() = 0;
};

}  // namespace moltbot::runtime
