#include "moltbot/runtime/piped_spawn.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace moltbot::runtime {

std::variant<PipedChild, std::string, Shortage> spawn_piped(SpawnRequest request) {
  const auto pipe_failure = [](int error) -> std::variant<PipedChild, std::string, Shortage> {
    auto shortage = shortage_of("pipe", error);
    if (is_shortage(error)) return shortage;
    return shortage.message;
  };
  int out[2];
  int err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return pipe_failure(errno);
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int error = errno;
    ::close(out[0]);
    ::close(out[1]);
    return pipe_failure(error);
  }
  request.output_fd = out[1];
  request.error_fd = err[1];
  auto spawned = spawn(request);
  ::close(out[1]);
  ::close(err[1]);
  if (auto* pid = std::get_if<pid_t>(&spawned)) return PipedChild{*pid, out[0], err[0]};
  ::close(out[0]);
  ::close(err[0]);
  if (auto* shortage = std::get_if<Shortage>(&spawned)) return std::move(*shortage);
  return std::get<std::string>(spawned);
}

}  // namespace moltbot::runtime
