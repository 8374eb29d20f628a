#pragma once
// A profile's backup (docs/backups.md): its state dir and config file in one tar archive
// compressed with zstd, mode 0600, written while the gateway runs. Each SQLite database
// (*.sqlite) is copied through the online-backup API (sqlite_copy.h); its sidecars are not
// archived. Every other regular file is copied as it is; symlinks, sockets, FIFOs and devices are
// skipped and counted. What kept_in_place() names (the supervisor's files, backups/, .restore-*)
// is left out. Blocking and bounded by `Limits`; the supervisor runs it in moltbot-backup.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "moltbot/backup/limits.h"

namespace moltbot::backup {

struct BackupCounts {
  std::uint64_t files = 0;        // regular files, databases included
  std::uint64_t directories = 0;
  std::uint64_t databases = 0;
  std::uint64_t bytes = 0;        // file contents archived (databases as copied)
  std::uint64_t archive_bytes = 0;
  std::uint64_t skipped_symlinks = 0;
  std::uint64_t skipped_special = 0;   // sockets, FIFOs, devices
  std::uint64_t skipped_sidecars = 0;  // -wal, -shm, -journal of databases (consolidated in the copy)
  std::uint64_t changed_while_read = 0;  // files that shrank while read (padded, as tar does)
  std::chrono::milliseconds duration{0};
};

struct BackupOutcome {
  std::optional<BackupCounts> counts;
  std::string error;  // one line, when counts is empty; nothing is left at `out` then
};

// `config_file`: archived under config/ when it lies outside `state_dir` (inside, it is in state/
// already). `out` must not exist; it appears only complete (written beside it, then renamed).
BackupOutcome write_backup(const std::filesystem::path& state_dir, const std::optional<std::filesystem::path>& config_file,
                           const std::filesystem::path& out, const Limits& limits);

}  // namespace moltbot::backup
