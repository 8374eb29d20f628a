#pragma once
// The moves of a restore inside one state dir (docs/backups.md, "Restore"), with the profile
// stopped: renames only, so each is quick and the state dir itself, its supervisor.lock and what
// else kept_in_place() names never move. Blocking, bounded by the number of top-level entries.
#include <filesystem>
#include <optional>
#include <string>

namespace moltbot::backup {

// The current entries of the state dir into the new folder `aside` inside it, then the staged
// ones (restore_archive.h) into the state dir; the empty staging folder is removed. On a failure
// half-way what moved is moved back.
std::optional<std::string> swap_in(const std::filesystem::path& state_dir, const std::string& aside);

// The restored entries into the new folder `failed`, then those of `aside` back (the profile did
// not start with the restored state); `aside` is removed.
std::optional<std::string> swap_back(const std::filesystem::path& state_dir, const std::string& aside,
                                     const std::string& failed);

// Removes `name` in the state dir (a staging folder a refused restore left, an aside folder).
std::optional<std::string> discard(const std::filesystem::path& state_dir, const std::string& name);

}  // namespace moltbot::backup
