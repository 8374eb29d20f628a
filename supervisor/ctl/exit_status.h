#pragma once
// moltbot-supervisorctl's exit statuses (docs/control-protocol.md). `exec` ends with its command's
// own status instead, or with a shell's 126/127 when the command cannot be run.
namespace moltbot::ctl {

inline constexpr int exit_ok = 0;
inline constexpr int exit_error = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_not_running = 3;
inline constexpr int exit_untrusted_socket = 4;  // socket_trust.h
inline constexpr int exit_cannot_execute = 126;
inline constexpr int exit_command_not_found = 127;

}  // namespace moltbot::ctl
