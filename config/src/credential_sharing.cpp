// credential-shared: two gateways polling with one channel credential fight at the provider
// (Telegram answers 409 to the second). Values are compared, never printed.
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

struct Holder {
  std::size_t profile;
  const ChannelCredential* credential;
};

// "channels.telegram.botToken", "channels.telegram.accounts.ops.token"
std::string config_key(const ChannelCredential& credential) {
  if (credential.account.empty()) return fmt::format("channels.{}.{}", credential.channel, credential.field);
  return fmt::format("channels.{}.accounts.{}.{}", credential.channel, credential.account, credential.field);
}

}  // namespace

void check_credential_sharing(const Manifest& manifest, Diagnostics& out) {
  std::unordered_map<std::string, std::vector<Holder>> holders;  // value -> first use per profile
  for (std::size_t p = 0; p < manifest.profiles.size(); ++p) {
    const Profile& profile = manifest.profiles[p];
    std::set<std::string> seen_here;
    for (const ChannelCredential& credential : profile.credentials) {
      if (credential.value.empty() || !seen_here.insert(credential.value).second) continue;
      auto& earlier = holders[credential.value];
      for (const Holder& holder : earlier) {
        const Profile& other = manifest.profiles[holder.profile];
        out.push_back(wording::conflict(
            "credential-shared", profile, profile.location_of("config_path"),
            fmt::format("{} in {} has the same value as {} of profile \"{}\" (in {}); a channel "
                        "credential can serve only one gateway",
                        config_key(credential), profile.config_path, config_key(*holder.credential),
                        other.name, other.config_path),
            other, other.location_of("config_path")));
      }
      earlier.push_back({p, &credential});
    }
  }
}

}  // namespace moltbot::config::rules
