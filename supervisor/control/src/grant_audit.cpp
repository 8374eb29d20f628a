#include "moltbot/control/grant_audit.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "moltbot/common/visible_text.h"
#include "moltbot/control/peer_grants.h"

namespace moltbot::control {

using nlohmann::json;

namespace {

std::string joined(const std::vector<std::string>& profiles) {
  std::string text;
  for (const auto& profile : profiles) text += (text.empty() ? "" : ", ") + quoted_visible(profile);
  return text.empty() ? "no profile" : text;
}

void audit(const Request& request, const std::vector<std::string>& profiles, FleetFeeds& feeds,
           const std::string& detail) {
  const Peer& peer = request.peer;
  const std::string what =
      fmt::format("{} on {}{}", quoted_visible(request.command), joined(profiles), detail.empty() ? "" : " " + detail);
  spdlog::info("control: audit: uid {} (pid {}) through the grant of {}: {}", peer.uid, peer.pid,
               peer.grants->who(), what);
  if (!feeds.events.has_subscribers()) return;
  feeds.events.publish(json{{"time", utc_timestamp()},
                            {"profile", profiles.size() == 1 ? json(profiles.front()) : json(nullptr)},
                            {"kind", "audit"},
                            {"from", nullptr},
                            {"to", nullptr},
                            {"message", fmt::format("uid {} (pid {}): {}", peer.uid, peer.pid, what)},
                            {"uid", peer.uid},
                            {"pid", peer.pid},
                            {"command", request.command},
                            {"profiles", profiles}});
}

}  // namespace

void authorize(const Request& request, const std::vector<std::string>& profiles, FleetFeeds& feeds,
               const std::string& detail) {
  const auto& grants = request.peer.grants;
  if (!grants) return;
  for (const auto& profile : profiles)
    if (!grants->allows(request.command, profile)) {
      auto refusal = grants->refusal(request.command, profile);
      spdlog::warn("control: refused: {}", refusal);
      throw CommandError("not-permitted", refusal);
    }
  audit(request, profiles, feeds, detail);
}

std::vector<std::string> granted_only(const Request& request, std::vector<std::string> profiles) {
  if (const auto& grants = request.peer.grants)
    std::erase_if(profiles, [&](const std::string& profile) { return !grants->allows(request.command, profile); });
  return profiles;
}

bool may_see(const Peer& peer, const json& event) {
  if (!peer.grants) return true;
  const json names = event.contains("profiles") ? event["profiles"] : json::array({event["profile"]});
  return !names.empty() && std::all_of(names.begin(), names.end(), [&](const json& name) {
    return name.is_string() && peer.grants->allows("events", name.get<std::string>());
  });
}

}  // namespace moltbot::control
