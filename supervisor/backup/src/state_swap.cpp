#include "moltbot/backup/state_swap.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <utility>
#include <vector>

#include "moltbot/backup/restore_archive.h"
#include "state_tree.h"

namespace moltbot::backup {
namespace {

namespace fs = std::filesystem;
using Error = std::optional<std::string>;

// The entries of `from` (a state dir: those not kept in place) moved into `to`; undone on failure.
Error move_entries(int from, int to, bool from_state_dir, const std::string& from_shown, const std::string& to_shown) {
  auto names = list_directory(from);
  if (!names) return fmt::format("cannot list {}: {}", from_shown, errno_text(errno));
  std::vector<std::string> moved;
  for (const auto& name : *names) {
    if (from_state_dir && kept_in_place(name)) continue;
    if (::renameat2(from, name.c_str(), to, name.c_str(), RENAME_NOREPLACE) != 0) {
      const std::string error = fmt::format("cannot move {}/{} to {}: {}", from_shown, name, to_shown, errno_text(errno));
      for (const auto& back : moved) ::renameat2(to, back.c_str(), from, back.c_str(), RENAME_NOREPLACE);
      return error;
    }
    moved.push_back(name);
  }
  return std::nullopt;
}

struct Folder {
  UniqueFd fd;
  std::string error;
};

// A new folder `name` in the state dir, its owner's.
Folder new_folder(int state, const std::string& name, const std::string& shown) {
  if (::mkdirat(state, name.c_str(), 0700) != 0) return {UniqueFd(), fmt::format("cannot create {}: {}", shown, errno_text(errno))};
  UniqueFd fd = open_directory(state, name);
  if (!fd) return {UniqueFd(), fmt::format("cannot open {}: {}", shown, errno_text(errno))};
  if (auto error = give(fd.get(), owner_for(state), shown)) return {UniqueFd(), *error};
  return {std::move(fd), {}};
}

}  // namespace

Error swap_in(const fs::path& state_dir, const std::string& aside) {
  const std::string shown = state_dir.string();
  UniqueFd state = open_directory(AT_FDCWD, shown);
  if (!state) return fmt::format("cannot open the state dir {}: {}", shown, errno_text(errno));
  UniqueFd staging = open_directory(state.get(), staging_name);
  if (!staging) return fmt::format("nothing staged in {}/{}: {}", shown, staging_name, errno_text(errno));
  Folder folder = new_folder(state.get(), aside, shown + "/" + aside);
  if (!folder.fd) return folder.error;
  if (auto error = move_entries(state.get(), folder.fd.get(), true, shown, shown + "/" + aside)) return error;
  if (auto error = move_entries(staging.get(), state.get(), false, shown + "/" + staging_name, shown)) {
    move_entries(folder.fd.get(), state.get(), false, shown + "/" + aside, shown);
    return error;
  }
  return remove_tree(state.get(), staging_name, shown + "/" + staging_name);
}

Error swap_back(const fs::path& state_dir, const std::string& aside, const std::string& failed) {
  const std::string shown = state_dir.string();
  UniqueFd state = open_directory(AT_FDCWD, shown);
  if (!state) return fmt::format("cannot open the state dir {}: {}", shown, errno_text(errno));
  UniqueFd previous = open_directory(state.get(), aside);
  if (!previous) return fmt::format("cannot open {}/{}: {}", shown, aside, errno_text(errno));
  Folder folder = new_folder(state.get(), failed, shown + "/" + failed);
  if (!folder.fd) return folder.error;
  if (auto error = move_entries(state.get(), folder.fd.get(), true, shown, shown + "/" + failed)) return error;
  if (auto error = move_entries(previous.get(), state.get(), false, shown + "/" + aside, shown)) return error;
  if (::unlinkat(state.get(), aside.c_str(), AT_REMOVEDIR) != 0)
    return fmt::format("cannot remove {}/{}: {}", shown, aside, errno_text(errno));
  return std::nullopt;
}

Error discard(const fs::path& state_dir, const std::string& name) {
  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  if (!state) return fmt::format("cannot open the state dir {}: {}", state_dir.string(), errno_text(errno));
  return remove_tree(state.get(), name, (state_dir / name).string());
}

}  // namespace moltbot::backup
