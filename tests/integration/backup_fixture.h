#pragma once
// What the backup tests look at from outside: the bundled gateway's state database read with
// SQLite, archives written with libarchive exactly as a hostile sender would (any path, any type),
// and the names under a folder, to prove that a refused restore wrote nothing.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace moltbot::test {

// The `writes` rows of a gateway state database: seq -> at_ms. Opened read-only (a live WAL
// database is read as of its last commit).
std::map<long long, long long> database_writes(const std::filesystem::path& database);
// PRAGMA integrity_check's answer ("ok"), or the open's error.
std::string database_integrity(const std::filesystem::path& database);
// PRAGMA user_version.
int database_schema(const std::filesystem::path& database);
// A database like the gateway's (a `writes` table, WAL off) with schema version `version`.
void make_database(const std::filesystem::path& database, int version);

struct ArchiveEntry {
  enum class Type { file, directory, symlink, hardlink, character_device, fifo };
  std::string path;
  Type type = Type::file;
  std::string content;  // a file's bytes
  std::string target;   // a symlink's or hard link's
};

// A tar archive (pax, zstd) of exactly these entries.
void write_archive(const std::filesystem::path& archive, const std::vector<ArchiveEntry>& entries);
// A zstd ustar archive of `count` empty files state/NNNNNNN, written fast.
void write_many_entries_archive(const std::filesystem::path& archive, std::uint64_t count);
// A plain tar archive whose one file state/huge declares `size` bytes (base-256 size field) and
// holds none: the sender lies, the header alone must be refused.
void write_huge_entry_archive(const std::filesystem::path& archive, std::uint64_t size);

// Every path under `root` (relative, not following symlinks), except under the `skipped` ones.
std::set<std::string> names_under(const std::filesystem::path& root, const std::set<std::filesystem::path>& skipped = {});

}  // namespace moltbot::test
