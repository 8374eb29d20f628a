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

// Every entry of the state dir but those kept in place into the new folder `into`, then those of
// its folder `from` in, leaving `from` empty; on a failure what moved is moved back.
Error replace_entries(const fs::path& state_dir, const std::string& from, const std::string& into) {
  const std::string shown = state_dir.string();
  UniqueFd state = open_directory(AT_FDCWD, shown);
  if (!state) return fmt::format("cannot open the state dir {}: {}", shown, errno_text(errno));
  UniqueFd source = open_directory(state.get(), from);
  if (!source) return fmt::format("cannot open {}/{}: {}", shown, from, errno_text(errno));
  Folder folder = new_folder(state.get(), into, shown + "/" + into);
  if (!folder.fd) return folder.error;
  if (auto error = move_entries(state.get(), folder.fd.get(), true, shown, shown + "/" + into)) return error;
  if (auto error = move_entries(source.get(), state.get(), false, shown + "/" + from, shown)) {
    move_entries(folder.fd.get(), state.get(), false, shown + "/" + into, shown);
    return error;
  }
  return std::nullopt;
}

}  // namespace

Error swap_in(const fs::path& state_dir, const std::string& aside) {
  if (auto error = replace_entries(state_dir, staging_name, aside)) return error;
  return discard(state_dir, staging_name);
}

Error swap_back(const fs::path& state_dir, const std::string& aside, const std::string& failed) {
  if (auto error = replace_entries(state_dir, aside, failed)) return error;
  return discard(state_dir, aside);
}

Error discard(const fs::path& state_dir, const std::string& name) {
  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  if (!state) return fmt::format("cannot open the state dir {}: {}", state_dir.string(), errno_text(errno));
  return remove_tree(state.get(), name, (state_dir / name).string());
}

}  // namespace moltbot::backup
