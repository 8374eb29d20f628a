#pragma once
// The settings `defaults` and profiles share: layout, command, cli, env, env_file, autostart,
// restart, health, stop, limits, user, group. Read onto a Profile, so a profile's own keys land on a copy of the
// defaults: nested mappings merge field by field, `env` merges name by name, lists are replaced.
// Each field read is recorded in Profile::field_locations, so a profile's field_locations name
// every field set explicitly, in `defaults` or in the profile (what layout defaults must not
// override).
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "field_reader.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// `user` and `group` are read before the others (account_reader.h); read_shared_setting skips them.
inline const std::vector<std::string_view> shared_setting_keys{
    "layout", "command", "cli", "env", "env_file", "autostart", "restart", "health", "stop", "limits", "user", "group"};

// Where the settings go, and which fields this read set (for checks that span fields).
struct SettingsTarget {
  Profile& profile;
  std::set<std::string> set_here;

  void record(const std::string& field, const SourceLocation& where);
};

// Reads the value of one of shared_setting_keys.
void read_shared_setting(const std::string& key, const yaml::Node& value, const FieldReader& reader,
                         const PathContext& paths, SettingsTarget& target);

// Rules between fields (backoff.initial <= backoff.max, exec health needs a command), checked
// once the settings are merged, and only when this read set one of the fields involved, so a
// problem in `defaults` is reported once.
void check_settings(const SettingsTarget& target, const FieldReader& reader);

}  // namespace moltbot::config::loader
