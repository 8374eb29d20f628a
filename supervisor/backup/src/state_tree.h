#pragma once
// Walking and changing a profile's state dir through directory descriptors: every name is opened
// relative to its parent's descriptor and never through a symlink, so a link planted in the tree
// cannot lead a backup or a restore outside it.
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.h"

namespace moltbot::backup {

// "No such file or directory" for errno `error`.
std::string errno_text(int error);

// `name` in `dir_fd` (AT_FDCWD for a path) as a directory, not followed if a symlink; invalid with
// errno set otherwise.
UniqueFd open_directory(int dir_fd, const std::string& name);

// The entries of a directory, sorted, without . and ..; nullopt with errno set when unreadable.
std::optional<std::vector<std::string>> list_directory(int dir_fd);

// Top-level entries of a state dir that are neither backed up nor replaced by a restore: the
// supervisor's (supervisor.lock and its records, supervisor.*), the pre-change database copies
// of rolling reloads (backups/) and what a restore keeps there while it runs (.restore-*).
bool kept_in_place(std::string_view top_level_name);

// A file of a state database: NAME.sqlite, and its sidecars NAME.sqlite-wal, -shm, -journal.
bool is_database_name(std::string_view name);
bool is_database_sidecar(std::string_view name);

// Removes `name` in `dir_fd` and everything under it, following no symlink. A missing `name` is
// no error. Returns why it could not, naming `shown`.
std::optional<std::string> remove_tree(int dir_fd, const std::string& name, const std::string& shown);

// Whom new entries of a state dir belong to: the dir's owner, when this process is root and the
// dir is another user's (a gateway run as its own user); nullopt: leave them this process's.
struct Owner {
  uid_t uid = 0;
  gid_t gid = 0;
};
std::optional<Owner> owner_for(int state_fd);
// fchown(fd) to `owner` when set; errno-based message naming `shown` on failure.
std::optional<std::string> give(int fd, const std::optional<Owner>& owner, const std::string& shown);

}  // namespace moltbot::backup
