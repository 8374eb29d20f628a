// permission-overlap: a profile's state dir, workspace and config file are writable by no other
// profile's user: not as owner, not through a group it belongs to, not through the mode, and not
// through the folder that holds them (which lets it rename them away and put its own in place).
// A profile that does not exist yet is judged by the nearest folder that does: whoever may write
// there may create it first. rescue-shares-user: a rescue gateway run by the same user as another
// profile can be rewritten by that profile. Profiles run as root are left to runs-as-root.
// Each pair of profiles of different users costs a few stat() calls.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "moltbot/config/run_as.h"
#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

struct Exposure {
  std::string path;   // what the other user may write: the path itself or a folder above it
  struct stat info {};
};

// "owner uid 1001, group gid 1002, mode 0770"
std::string ownership(const struct stat& info) {
  return fmt::format("owner uid {}, group gid {}, mode {:04o}", info.st_uid, info.st_gid, info.st_mode & 07777);
}

// Why `account` may write it: "it is the owner", "it is in group gid 1002", "the mode lets everyone write".
std::string reason(const Account& account, const struct stat& info) {
  if (account.uid == info.st_uid) return "it is the owner";
  if (info.st_mode & S_IWOTH) return "the mode lets everyone write";
  return fmt::format("it is in group gid {}", info.st_gid);
}

// A folder whose sticky bit is set lets its writers replace only their own entries.
bool may_replace(const Account& account, const struct stat& folder, const std::optional<struct stat>& entry) {
  if (!may_write(account, folder.st_uid, folder.st_gid, folder.st_mode)) return false;
  return !(folder.st_mode & S_ISVTX) || !entry || entry->st_uid == account.uid;
}

// `own`: the profile's other folders, judged on their own: a path inside one of them is not
// reported a second time through it.
std::optional<Exposure> exposure(const std::string& path, const Account& account, const std::vector<std::string>& own) {
  namespace fs = std::filesystem;
  struct stat info {};
  std::optional<struct stat> entry;
  fs::path at = path;
  if (::stat(at.c_str(), &info) == 0) {
    if (may_write(account, info.st_uid, info.st_gid, info.st_mode)) return Exposure{at.string(), info};
    entry = info;
    at = at.parent_path();
  }
  // The holding folder, or for a path not made yet the nearest folder above it that exists.
  for (; !at.empty(); at = at.parent_path()) {
    if (std::find(own.begin(), own.end(), at.string()) != own.end()) return std::nullopt;
    if (::stat(at.c_str(), &info) != 0) {
      if (at == at.parent_path()) break;
      continue;
    }
    if (may_replace(account, info, entry)) return Exposure{at.string(), info};
    return std::nullopt;
  }
  return std::nullopt;
}

void check_pair(const Profile& profile, const Account& own, const Profile& other, const Account& theirs,
                Diagnostics& out) {
  const std::pair<const std::string*, const char*> paths[] = {
      {&profile.state_dir, "state_dir"}, {&profile.workspace, "workspace"}, {&profile.config_path, "config_path"}};
  const std::pair<const char*, const char*> names[] = {
      {"state_dir", "state dir"}, {"workspace", "workspace"}, {"config_path", "config file"}};
  for (std::size_t i = 0; i < std::size(paths); ++i) {
    const auto& [path, field] = paths[i];
    if (path->empty()) continue;
    std::vector<std::string> others_of_profile;
    for (const auto& [other_path, other_field] : paths)
      if (other_path != path && !other_path->empty()) others_of_profile.push_back(*other_path);
    auto found = exposure(*path, theirs, others_of_profile);
    if (!found) continue;
    const std::string where = found->path == *path ? std::string() : fmt::format(" through {}", found->path);
    out.push_back(wording::conflict(
        "permission-overlap", profile, profile.location_of(field),
        fmt::format("{} {} (run by user \"{}\", uid {}) is writable{} by user \"{}\" (uid {}) of profile \"{}\": {} ({}); "
                    "only the profile's own user may write it",
                    names[i].second, *path, own.user, own.uid, where, theirs.user, theirs.uid, other.name,
                    reason(theirs, found->info), ownership(found->info)),
        other, other.where));
  }
}

}  // namespace

void check_permission_overlap(const Manifest& manifest, Diagnostics& out) {
  const Account supervisor = own_account();
  const auto& profiles = manifest.profiles;
  for (std::size_t a = 0; a < profiles.size(); ++a) {
    const Account& own = gateway_account(profiles[a], supervisor);
    for (std::size_t b = 0; b < profiles.size(); ++b) {
      if (a == b) continue;
      const Account& theirs = gateway_account(profiles[b], supervisor);
      if (theirs.uid == own.uid) {
        // Reported once, on the rescue profile (the later one when both are), and only in a fleet
        // that sets users: a supervisor that is not root has no other user to give.
        const bool rescue_here = profiles[a].role == Role::rescue && (profiles[b].role != Role::rescue || a > b) &&
                                 (profiles[a].run_as || profiles[b].run_as);
        if (rescue_here)
          out.push_back(Diagnostic{
              Severity::warning, "rescue-shares-user",
              fmt::format("profile \"{}\": the rescue gateway runs as user \"{}\" (uid {}), as profile \"{}\" does; "
                          "a compromised \"{}\" could rewrite the rescue gateway's state: give the rescue profile a "
                          "user of its own",
                          profiles[a].name, own.user, own.uid, profiles[b].name, profiles[b].name),
              profiles[a].where, profiles[a].name,
              {wording::defined_here(profiles[b], profiles[b].where)}});
        continue;
      }
      if (theirs.uid == 0) continue;
      check_pair(profiles[a], own, profiles[b], theirs, out);
    }
  }
}

}  // namespace moltbot::config::rules
