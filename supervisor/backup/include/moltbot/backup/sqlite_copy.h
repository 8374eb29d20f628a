#pragma once
// Consistent copies of a live SQLite database (spec section 5): SQLite's online-backup API copies
// every page in one step under one read transaction, so writers in WAL mode go on meanwhile and
// the copy is the database as of one commit. A copy is consolidated: one file, journal_mode
// DELETE, no -wal/-shm beside it, as `openclaw database preflight` requires.
//
// Blocking: one call reads the whole database (about 0.5 s for 200 MB here, docs/benchmarks.md).
// The supervisor never calls it on its loop; it runs moltbot-backup (backup_jobs.h) instead.
#include <filesystem>
#include <optional>
#include <string>

namespace moltbot::backup {

// Copies the database `name` in the directory `dir_fd` (not followed if a symlink) into the new
// file `destination`, which must not exist. Returns why it could not, or nothing.
std::optional<std::string> copy_database(int dir_fd, const std::string& name, const std::filesystem::path& destination);

// Whether the file open at `fd` starts with SQLite's header ("SQLite format 3"). The real gateway
// also keeps empty *.lock.sqlite files it holds locks on: those are files, not databases.
bool is_sqlite_file(int fd);

// PRAGMA integrity_check of the database file `file`, opened immutable (nothing written beside
// it): nothing when it answers "ok", else its first complaint.
std::optional<std::string> check_integrity(const std::filesystem::path& file);

}  // namespace moltbot::backup
