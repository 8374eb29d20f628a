#pragma once
// The handlers' side of control grants (peer_grants.h): a command served through a grant is
// checked against the profiles it acts on and audited, one line in the supervisor's log and one
// `audit` event (docs/control-protocol.md, "Grants"). Peers not limited by grants pass untouched
// and unaudited, as before grants existed.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moltbot/control/fleet_commands.h"
#include "moltbot/control/protocol.h"

namespace moltbot::control {

// Refuses the request (CommandError not-permitted, naming the missing grant) unless its command
// is granted on every one of `profiles`; then audits it, with `detail` (never a secret: the program
// of an exec, not its arguments) added to the line.
void authorize(const Request& request, const std::vector<std::string>& profiles, FleetFeeds& feeds,
               const std::string& detail = {});
// `profiles` without those the request's command is not granted on (for a grantee).
std::vector<std::string> granted_only(const Request& request, std::vector<std::string> profiles);
// Whether an event (FleetFeeds::events) may reach `peer`: a grantee sees only events about
// profiles it is granted `events` on.
bool may_see(const Peer& peer, const nlohmann::json& event);

}  // namespace moltbot::control
