#pragma once
// The pre-change copies of a rolling reload (issue 19): before a profile's command or runtime
// changes, each state database <state>/state/*.sqlite is copied (sqlite_copy.h: online,
// consolidated) into <state>/backups/<UTC time>/, the target release's `database preflight` runs
// on those copies, and a rollback the old release refuses (exit 78) puts them back.
// Blocking; the supervisor runs these through moltbot-backup (backup_jobs.h).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::backup {

inline constexpr const char* copies_folder = "backups";

struct DatabaseCopies {
  std::filesystem::path dir;                 // <state>/backups/<UTC time>; empty when there was no database
  std::vector<std::filesystem::path> files;  // one per database, same names as in <state>/state
  std::uint64_t bytes = 0;
};

struct CopiesOutcome {
  std::optional<DatabaseCopies> copies;
  std::string error;  // one line, when copies is empty; no partial folder is left
};

// Copies every database of <state>/state, then keeps only the newest `keep` (at least 1) folders
// of <state>/backups.
CopiesOutcome copy_state_databases(const std::filesystem::path& state_dir, std::size_t keep);

// With the gateway stopped: each *.sqlite in `copies_dir` back as <state>/state/<name> (written
// beside it, its -wal/-shm/-journal removed, then renamed over it).
std::optional<std::string> restore_state_databases(const std::filesystem::path& state_dir,
                                                   const std::filesystem::path& copies_dir);

}  // namespace moltbot::backup
