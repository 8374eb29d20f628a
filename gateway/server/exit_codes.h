#pragma once
// moltbot-gateway's exit statuses (docs/gateway.md). 78 matches the real gateway for both a
// duplicate instance and an invalid config.
namespace moltbot::gateway::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;  // runtime error, e.g. a port already taken
inline constexpr int usage = 2;    // bad arguments, environment or MOLTBOT_GATEWAY_TEST_FAULTS
inline constexpr int config = 78;  // EX_CONFIG: invalid config file, another instance holds the lock, or the
                                   // state database's schema is newer than this gateway's

}  // namespace moltbot::gateway::exit_code
