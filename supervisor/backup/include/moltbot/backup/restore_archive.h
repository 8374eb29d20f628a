#pragma once
// Reading a profile backup back (docs/backups.md, "Restore"). Nothing is trusted: a first pass
// reads every header and writes nothing, refusing the archive (one line naming the entry) for
// anything but regular files and directories under state/ (and one config/ file), an absolute
// path, a `..` or empty component, a name a state dir keeps in place (kept_in_place), a database
// sidecar, a duplicate, more entries or bytes than `Limits`. Only then a second pass extracts
// state/ into a staging folder inside the state dir, creating every name relative to its parent's
// descriptor with O_NOFOLLOW|O_EXCL (no symlink can be on a path: the archive has none, the
// staging folder is new), and runs PRAGMA integrity_check on each database. Blocking.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "moltbot/backup/limits.h"

namespace moltbot::backup {

// The folder a restore stages into, inside the state dir; kept_in_place() leaves it alone.
inline constexpr const char* staging_name = ".restore-staging";

struct StagedCounts {
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t databases = 0;  // each passed integrity_check
  std::uint64_t bytes = 0;
  std::uint64_t config_files = 0;  // in the archive, not restored
};

struct StageOutcome {
  std::optional<StagedCounts> counts;
  std::string error;  // one line; nothing is left of the staging folder then
};

// Only the first pass (no staging): what a restore would refuse.
StageOutcome verify_archive(const std::filesystem::path& archive, const Limits& limits);

// Both passes: `archive` staged into <state_dir>/.restore-staging (replacing a leftover one),
// its entries given to the state dir's owner (state_tree.h, owner_for).
StageOutcome stage_archive(const std::filesystem::path& archive, const std::filesystem::path& state_dir,
                           const Limits& limits);

}  // namespace moltbot::backup
