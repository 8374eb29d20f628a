#pragma once
// Finds the gateway that runs with a profile's state dir and config path right now, for
// `gateway restart`: the process holding its single-instance lock, as /proc/locks reports the
// flock's owner, checked to be a moltbot-gateway. Neither takes nor disturbs the lock, so a
// gateway starting meanwhile is never turned away.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace moltbot::gateway {

struct RunningGateway {
  std::optional<pid_t> pid;
  std::string error;  // when pid is empty: why no gateway was found
};

RunningGateway find_running_gateway(const std::filesystem::path& state_dir, const std::filesystem::path& config_path);

}  // namespace moltbot::gateway
