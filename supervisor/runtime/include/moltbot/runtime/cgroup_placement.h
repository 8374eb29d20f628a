#pragma once
// Where the supervisor keeps each profile's processes: one cgroup v2 per profile, `profile-NAME`,
// below a parent cgroup that is the supervisor's to manage (docs/supervisor.md, "Process
// tracking"):
// - under a service manager that delegated the supervisor's cgroup to it (systemd's
//   `Delegate=yes`, marked with the `trusted.delegate` or `user.delegate` attribute), that cgroup:
//   the supervisor moves itself into its leaf `supervisor/` (cgroup v2 allows processes only in
//   leaves once controllers are enabled, and systemd's delegation rules ask for it);
// - at the root of the hierarchy it sees (no service manager placed it anywhere: a root shell on
//   a host whose init is not systemd, or a container's own cgroup namespace),
//   `moltbot-supervisord/INSTANCE`, made for this supervisor and removed when it exits.
// Anywhere else (a login session's scope, a unit without delegation) the cgroup belongs to
// someone else, and no profile gets one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "moltbot/common/environment.h"

namespace moltbot::runtime {

// The environment variable that turns cgroups off ("off") or leaves the choice above ("auto",
// the default).
inline constexpr const char* cgroup_setting_variable = "MOLTBOT_SUPERVISOR_CGROUP";

// A mounted cgroup v2 hierarchy.
struct CgroupMount {
  std::filesystem::path point;  // where it is mounted (/sys/fs/cgroup, /sys/fs/cgroup/unified)
  std::string root;             // the cgroup shown at `point`, as /proc/PID/cgroup writes it

  // The cgroup at directory `dir` (below `point`) as /proc/PID/cgroup writes it ("/a/b").
  std::string cgroup_of(const std::filesystem::path& dir) const;
  // Whether `dir` is a directory of this hierarchy, strictly below its mount point.
  bool contains(const std::filesystem::path& dir) const;
};

// The cgroup v2 hierarchy this process is in, as mounted here; nullopt when there is none.
std::optional<CgroupMount> find_cgroup2_mount();
// This process's cgroup as /proc/self/cgroup writes it ("0::/path"); nullopt when in none.
std::optional<std::string> own_cgroup();
// Its directory in `mount`.
std::filesystem::path own_cgroup_dir(const CgroupMount& mount, const std::string& own);
// Whether a service manager delegated the cgroup at `dir` (`trusted.delegate` or `user.delegate`).
bool is_delegated(const std::filesystem::path& dir);

// The controllers profile cgroups need for limits (docs/supervisor.md, "Limits").
inline constexpr const char* limit_controllers[] = {"memory", "cpu", "pids"};

struct CgroupParent {
  CgroupMount mount;
  std::filesystem::path dir;  // where profile-NAME cgroups are made
  bool made = false;          // made for this supervisor: removed (when empty) as it exits
  std::string description;    // for the supervisor's log
  std::vector<std::string> controllers;  // of limit_controllers, those enabled for profile cgroups
};

// The parent chosen as described above, with the supervisor moved where it has to be; or why
// there is none (a one-line reason for the supervisor's log).
std::variant<CgroupParent, std::string> place_profile_cgroups(const Environment& supervisor_env,
                                                              std::string_view instance);

}  // namespace moltbot::runtime
