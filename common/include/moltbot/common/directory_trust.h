#pragma once
// Folders the supervisor writes into or trusts (state dirs, workspaces, the log dir, the socket
// dir) must be out of other users' reach, as OpenSSH and systemd require of the paths they use:
// a user who may write a folder may put a symlink where the supervisor, often root, opens a file
// next, or replace the folder itself. Every folder from the one named up to / is checked.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moltbot {

struct DirectoryTrust {
  // Who may own the folder and each of its parents, root aside: the supervisor's uid, and a
  // profile's own user for that profile's state dir and workspace.
  std::vector<uid_t> owners;
  // Groups whose write permission is no danger: the supervisor's own group, socket_group, a
  // profile's group.
  std::vector<gid_t> groups;

  // This process's effective uid and gid, and socket_group when it names a group on this host.
  static DirectoryTrust of_supervisor(const std::optional<std::string>& socket_group = std::nullopt);
};

// Why `dir` cannot be trusted, naming the path, its owner and its mode; nothing when it can.
// Owners must be root or one of `trust.owners`; no folder may be writable by others, nor by a
// group outside `trust.groups`, except a parent with the sticky bit (like /tmp): there only an
// entry's owner may rename or remove it, and that owner is checked in turn. Folders that do not
// exist yet are skipped (the supervisor creates them 0700); a symlink on the way is checked as
// a name in its folder and then the folder it leads to.
std::optional<std::string> untrusted_directory(const std::filesystem::path& dir, const DirectoryTrust& trust);

// A state dir or workspace: created 0700 with its missing parents (make_private_directories),
// then checked, since in a sticky parent another user may have made it first; one of this
// process's own with permissions for group or others is narrowed to 0700 (it holds
// credentials). The problem, naming the folder, or nothing.
std::optional<std::string> make_trusted_private_directory(const std::filesystem::path& dir, const DirectoryTrust& trust);

}  // namespace moltbot
