#pragma once
// What a new manifest changes against the one being run, profile by profile: the plan of a
// reload (issue 6). Pure functions of two resolved manifests.
#include <cstdint>
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

// Equal in everything the profile's child and runner see. Where a value was written in the YAML
// does not count: adding a profile above another moves its lines without changing it.
bool same_entry(const Profile& a, const Profile& b);

// Profile names: `added`, `changed` and `unchanged` in the order of `after`, `removed` in the
// order of `before`.
struct ProfileChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  std::vector<std::string> unchanged;
};

// same_entry() as a number a record can keep (child_record.h): a supervisor started after a crash
// adopts a predecessor's child only if its entry's hash is the one recorded, so a reload and an
// adoption call the same entries changed. Equal for entries same_entry() calls the same; stable
// across runs and builds (FNV-1a of a canonical serialization; a build that adds a field to the
// serialization changes every hash once, which restarts each gateway at its first adoption).
std::uint64_t entry_hash(const Profile& profile);

ProfileChanges diff_profiles(const std::vector<Profile>& before, const std::vector<Profile>& after);

// The supervisor settings of `next` that differ from the `running` ones: none of them can change
// while the supervisor runs. One line each: "supervisor.socket: /a.sock -> /b.sock".
std::vector<std::string> changed_settings(const SupervisorSettings& running, const SupervisorSettings& next);

}  // namespace moltbot::config
