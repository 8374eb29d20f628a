#include "moltbot/config/run_as.h"

#include <unistd.h>

#include <fmt/format.h>

#include "moltbot/common/owned_directory.h"
#include "moltbot/common/private_directories.h"

namespace moltbot::config {

const Account& gateway_account(const Profile& profile, const Account& supervisor) {
  return profile.run_as ? *profile.run_as : supervisor;
}

const Account* switched_account(const Profile& profile) {
  return profile.run_as && ::geteuid() == 0 ? &*profile.run_as : nullptr;
}

std::optional<std::string> make_gateway_directory(const Profile& profile, const std::filesystem::path& dir) {
  if (const Account* account = switched_account(profile)) return make_owned_directory(dir, *account);
  return make_private_directories(dir);
}

DirectoryTrust gateway_trust(const Profile& profile, DirectoryTrust supervisor) {
  if (const Account* account = switched_account(profile)) {
    supervisor.owners.push_back(account->uid);
    supervisor.groups.push_back(account->gid);
  }
  return supervisor;
}

std::optional<std::string> make_trusted_gateway_directory(const Profile& profile, const std::filesystem::path& dir,
                                                          const DirectoryTrust& supervisor) {
  if (auto error = make_gateway_directory(profile, dir)) return error;
  // In a sticky parent another user may have made it first.
  return untrusted_directory(dir, gateway_trust(profile, supervisor));
}

std::optional<std::string> make_trusted_gateway_folders(const Profile& profile, const DirectoryTrust& supervisor) {
  if (auto problem = make_trusted_gateway_directory(profile, profile.state_dir, supervisor))
    return "state dir: " + *problem;
  if (profile.workspace.empty()) return std::nullopt;
  if (auto problem = make_trusted_gateway_directory(profile, profile.workspace, supervisor))
    return "workspace: " + *problem;
  return std::nullopt;
}

Diagnostics root_gateway_warnings(const Manifest& manifest, uid_t supervisor_uid) {
  Diagnostics out;
  if (supervisor_uid != 0) return out;
  for (const Profile& profile : manifest.profiles) {
    if (profile.run_as && profile.run_as->uid != 0) continue;
    const std::string why = profile.run_as ? fmt::format("its user \"{}\" is root", profile.run_as->user)
                                           : std::string("the supervisor runs as root and the profile sets no user");
    out.push_back(Diagnostic{
        Severity::warning,
        "runs-as-root",
        fmt::format("profile \"{}\": the gateway would run as root ({}); a compromised gateway would own the host, the "
                    "other profiles and the supervisor: set `user` (the .deb creates the system user \"moltbot\")",
                    profile.name, why),
        profile.run_as ? profile.location_of("user") : profile.where,
        profile.name,
        {}});
  }
  return out;
}

}  // namespace moltbot::config
