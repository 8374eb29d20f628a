#pragma once
// `user` and `group` of `defaults` or of a profile. They are read before the mapping's other keys,
// because `~` in its paths is that user's home, and looked up in the passwd and group databases
// at once, so an unknown name is an error pointing at its line.
#include <optional>

#include "field_reader.h"
#include "moltbot/common/environment.h"
#include "settings_reader.h"

namespace moltbot::config::loader {

// Sets target.profile.run_as from the mapping's `user`/`group` on top of what it inherited: a
// profile's `user` keeps an inherited explicit `group`, its `group` keeps the inherited user.
// unknown-user, unknown-group; needs-root when a supervisor that is not root would have to switch
// to another account.
void read_account(const yaml::Node& mapping, const FieldReader& reader, SettingsTarget& target);

// `env` with HOME of the profile's account, which paths and the child environment expand `~` with;
// nullopt for a profile without one.
std::optional<Environment> account_environment(const Profile& profile, const Environment& env);

}  // namespace moltbot::config::loader
