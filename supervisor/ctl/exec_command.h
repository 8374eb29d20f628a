#pragma once
// `moltbot-supervisorctl exec PROFILE -- COMMAND [ARG...]`: for root and the supervisor's uid, asks
// the supervisor for the profile's child environment and for COMMAND with its placeholders
// expanded, then becomes that command (execve) in the caller's terminal and working directory, so
// its input, output and exit status are the caller's. Anyone else has the supervisor run COMMAND
// (the `exec` request) and gets its output and exit status.
#include <string>
#include <vector>

namespace moltbot::ctl {

// Returns only when the command cannot be run (or, run by the supervisor, has ended), with the exit
// status to end with, after saying why on stderr. Throws what ControlClient throws when the
// supervisor cannot be reached.
int exec_in_profile(const std::string& socket, const std::string& profile, const std::vector<std::string>& command);

}  // namespace moltbot::ctl
