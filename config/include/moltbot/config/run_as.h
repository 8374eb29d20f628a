#pragma once
// Whom a profile's gateway runs as: the one place that answers it, for the checks that compare
// accounts and for everything that hands files over to a gateway.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "moltbot/common/account.h"
#include "moltbot/common/directory_trust.h"
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

// profile.run_as, or `supervisor` (the supervisor's own account, own_account()) when the profile
// sets no user.
const Account& gateway_account(const Profile& profile, const Account& supervisor);

// The account a child of this profile switches to: its `user` when this process runs as root
// (only root can switch; the loader refuses anyone else a `user` other than themselves), else
// nullptr. Points into the profile.
const Account* switched_account(const Profile& profile);

// A folder of the profile's gateway (state dir, workspace, config folder): owned by the account it
// switches to and mode 0700 (make_owned_directory), or a private folder of the supervisor's
// (make_private_directories) when it does not switch.
std::optional<std::string> make_gateway_directory(const Profile& profile, const std::filesystem::path& dir);

// Who may own the profile's own folders (state dir, workspace) and their parents: `supervisor`'s
// owners and groups, and the account its gateway switches to.
DirectoryTrust gateway_trust(const Profile& profile, DirectoryTrust supervisor);

// make_gateway_directory(), then the folder and its parents checked against gateway_trust(): the
// problem, naming the folder, its owner and mode, or nothing.
std::optional<std::string> make_trusted_gateway_directory(const Profile& profile, const std::filesystem::path& dir,
                                                          const DirectoryTrust& supervisor);

// make_trusted_gateway_directory() for the state dir, then the workspace: "state dir: PROBLEM" or
// "workspace: PROBLEM", or nothing. A profile starts only from folders that pass.
std::optional<std::string> make_trusted_gateway_folders(const Profile& profile, const DirectoryTrust& supervisor);

// One runs-as-root warning per profile a supervisor running as `supervisor_uid` would run as root.
Diagnostics root_gateway_warnings(const Manifest& manifest, uid_t supervisor_uid);

}  // namespace moltbot::config
