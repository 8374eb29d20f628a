#include "helper_process.h"

#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

extern char** environ;

namespace moltbot::gateway {

HelperSpawn spawn_helper() {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&actions);

  // The gateway's signal handling must not leak into the helper: default dispositions, no mask.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);

  char program[] = "moltbot-gateway";
  char flag[] = "--helper";
  char* argv[] = {program, flag, nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return {std::nullopt, std::string("cannot spawn the helper: ") + std::strerror(rc)};
  return {pid, {}};
}

int run_helper(bool ignore_sigterm) {
  if (ignore_sigterm) ::signal(SIGTERM, SIG_IGN);
  for (;;) ::pause();
}

}  // namespace moltbot::gateway
