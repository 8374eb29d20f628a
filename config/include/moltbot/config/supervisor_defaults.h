#pragma once
// Where the supervisor puts its control socket and child logs when the manifest does not say
// (spec section 2). Functions of the environment and the effective uid, so tests can ask for
// any user.
#include <sys/types.h>

#include <string>

#include "moltbot/common/environment.h"

namespace moltbot::config {

// $RUNTIME_DIRECTORY/supervisord.sock (systemd's RuntimeDirectory=; the first entry if several),
// else /run/moltbot/supervisord.sock for root, else $XDG_RUNTIME_DIR/moltbot/supervisord.sock,
// else /tmp/moltbot-UID/supervisord.sock.
std::string default_socket_path(const Environment& env, uid_t uid);

// /var/log/moltbot for root, else $XDG_STATE_HOME/moltbot/log, else ~/.local/state/moltbot/log,
// else /tmp/moltbot-UID/log.
std::string default_log_dir(const Environment& env, uid_t uid);

}  // namespace moltbot::config
