#include "moltbot/control/peer_grants.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "moltbot/common/visible_text.h"

namespace moltbot::control {

namespace {

bool names(const config::ControlGrant& grant, const PeerCredentials& peer) {
  if (grant.uid) return *grant.uid == peer.uid;
  if (peer.gid == *grant.gid) return true;
  return std::find(peer.groups.begin(), peer.groups.end(), *grant.gid) != peer.groups.end();
}

bool has(const std::vector<std::string>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const auto& word : words) text += (text.empty() ? "" : ", ") + word;
  return text;
}

}  // namespace

std::shared_ptr<const PeerGrants> PeerGrants::of(const PeerCredentials& peer,
                                                 const std::vector<config::ControlGrant>& grants) {
  std::vector<config::ControlGrant> matching;
  std::copy_if(grants.begin(), grants.end(), std::back_inserter(matching),
               [&](const config::ControlGrant& grant) { return names(grant, peer); });
  if (matching.empty()) return nullptr;
  return std::shared_ptr<const PeerGrants>(new PeerGrants(peer, std::move(matching)));
}

bool PeerGrants::grants_command(std::string_view command) const {
  // The stdin of a command exec started on the same connection: part of that exec.
  if (command == "exec-input") command = "exec";
  return std::any_of(grants_.begin(), grants_.end(), [&](const auto& grant) { return has(grant.commands, command); });
}

bool PeerGrants::allows(std::string_view command, const std::string& profile) const {
  return std::any_of(grants_.begin(), grants_.end(), [&](const auto& grant) {
    return has(grant.commands, command) && (grant.all_profiles || has(grant.profiles, profile));
  });
}

std::string PeerGrants::refusal(std::string_view command, const std::string& profile) const {
  const bool never = std::find(config::never_grantable_commands.begin(), config::never_grantable_commands.end(),
                               command) != config::never_grantable_commands.end();
  std::string missing =
      never ? fmt::format("{} acts on the whole supervisor and is never grantable", quoted_visible(command))
      : profile.empty()
          ? fmt::format("no grant gives {}", quoted_visible(command))
          : fmt::format("no grant gives {} on profile {}", quoted_visible(command), quoted_visible(profile));
  std::string given;
  for (const auto& grant : grants_)
    given += fmt::format("; {} gives {} on {}", grant.who, joined(grant.commands),
                         grant.all_profiles ? std::string("all profiles") : joined(grant.profiles));
  return fmt::format("uid {} (pid {}) is served only what control.grants give it: {}{}", peer_.uid, peer_.pid, missing,
                     given);
}

std::string PeerGrants::who() const {
  std::vector<std::string> names;
  for (const auto& grant : grants_) names.push_back(grant.who);
  return joined(names);
}

std::vector<uid_t> granted_users(const std::vector<config::ControlGrant>& grants) {
  std::vector<uid_t> users;
  for (const auto& grant : grants)
    if (grant.uid) users.push_back(*grant.uid);
  return users;
}

std::vector<gid_t> granted_groups(const std::vector<config::ControlGrant>& grants) {
  std::vector<gid_t> groups;
  for (const auto& grant : grants)
    if (grant.gid) groups.push_back(*grant.gid);
  return groups;
}

}  // namespace moltbot::control
