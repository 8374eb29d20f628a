#pragma once
// What control.grants give one peer that is neither root, the supervisor's uid nor a member of
// socket_group (docs/control-protocol.md, "Grants"): the grants naming its uid, its primary group
// or one of its supplementary groups, merged. Such a peer is served those commands on those
// profiles and nothing else.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/control/peer_check.h"

namespace moltbot::control {

class PeerGrants {
 public:
  // The grants that name `peer`; null when none does.
  static std::shared_ptr<const PeerGrants> of(const PeerCredentials& peer,
                                              const std::vector<config::ControlGrant>& grants);

  // Some grant gives `command` on some profile.
  bool grants_command(std::string_view command) const;
  // Some grant gives `command` on `profile`.
  bool allows(std::string_view command, const std::string& profile) const;
  // Why `command` (on `profile`, when not empty) is refused: names the missing grant and what the
  // peer's grants give.
  std::string refusal(std::string_view command, const std::string& profile = {}) const;
  // "user rescue, group ops": the grants that apply, for the audit.
  std::string who() const;

 private:
  PeerGrants(PeerCredentials peer, std::vector<config::ControlGrant> grants)
      : peer_(std::move(peer)), grants_(std::move(grants)) {}

  PeerCredentials peer_;
  std::vector<config::ControlGrant> grants_;
};

// The uids and gids the grants name: who must be able to connect() to the socket's file.
std::vector<uid_t> granted_users(const std::vector<config::ControlGrant>& grants);
std::vector<gid_t> granted_groups(const std::vector<config::ControlGrant>& grants);

}  // namespace moltbot::control
