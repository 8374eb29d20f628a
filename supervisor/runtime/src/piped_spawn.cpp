#include "moltbot/runtime/piped_spawn.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace moltbot::runtime {

namespace {

void close_both(const int (&ends)[2]) {
  for (int end : ends)
    if (end >= 0) ::close(end);
}

}  // namespace

std::variant<PipedChild, std::string, Shortage> spawn_piped(SpawnRequest request, ChildInput input) {
  const auto pipe_failure = [](int error) -> std::variant<PipedChild, std::string, Shortage> {
    auto shortage = shortage_of("pipe", error);
    if (is_shortage(error)) return shortage;
    return shortage.message;
  };
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      (input == ChildInput::pipe && ::pipe2(in, O_CLOEXEC) != 0)) {
    const int error = errno;
    close_both(out);
    close_both(err);
    close_both(in);
    return pipe_failure(error);
  }
  request.output_fd = out[1];
  request.error_fd = err[1];
  request.input_fd = in[0];
  auto spawned = spawn(request);
  ::close(out[1]);
  ::close(err[1]);
  if (in[0] >= 0) ::close(in[0]);
  if (auto* pid = std::get_if<pid_t>(&spawned)) return PipedChild{*pid, out[0], err[0], in[1]};
  ::close(out[0]);
  ::close(err[0]);
  if (in[1] >= 0) ::close(in[1]);
  if (auto* shortage = std::get_if<Shortage>(&spawned)) return std::move(*shortage);
  return std::get<std::string>(spawned);
}

}  // namespace moltbot::runtime
