#include "backup_fixture.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <sys/sysmacros.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <memory>

namespace moltbot::test {

namespace fs = std::filesystem;

namespace {

using Connection = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

Connection open_database(const fs::path& database, int flags) {
  sqlite3* db = nullptr;
  const int result = sqlite3_open_v2(database.c_str(), &db, flags, nullptr);
  Connection connection(db, sqlite3_close);
  INFO(database.string() << ": " << (db ? sqlite3_errmsg(db) : "out of memory"));
  REQUIRE(result == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  return connection;
}

void exec(sqlite3* db, const std::string& sql) {
  INFO(sql << ": " << sqlite3_errmsg(db));
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
}

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

Archive zstd_writer(const fs::path& path, bool pax) {
  Archive writer(archive_write_new(), archive_write_free);
  REQUIRE(archive_write_add_filter_zstd(writer.get()) == ARCHIVE_OK);
  REQUIRE((pax ? archive_write_set_format_pax_restricted(writer.get()) : archive_write_set_format_ustar(writer.get())) ==
          ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(writer.get(), path.c_str()) == ARCHIVE_OK);
  return writer;
}

}  // namespace

std::map<long long, long long> database_writes(const fs::path& database) {
  auto db = open_database(database, SQLITE_OPEN_READONLY);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.get(), "SELECT seq, at_ms FROM writes ORDER BY seq", -1, &statement, nullptr) == SQLITE_OK);
  std::map<long long, long long> rows;
  while (sqlite3_step(statement) == SQLITE_ROW) rows[sqlite3_column_int64(statement, 0)] = sqlite3_column_int64(statement, 1);
  sqlite3_finalize(statement);
  return rows;
}

namespace {

std::string single_text(const fs::path& database, const char* sql) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(database.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string error = raw ? sqlite3_errmsg(raw) : "out of memory";
    sqlite3_close(raw);
    return error;
  }
  Connection db(raw, sqlite3_close);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &statement, nullptr) != SQLITE_OK) return sqlite3_errmsg(db.get());
  std::string text = sqlite3_step(statement) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))
                                                           : sqlite3_errmsg(db.get());
  sqlite3_finalize(statement);
  return text;
}

}  // namespace

std::string database_integrity(const fs::path& database) { return single_text(database, "PRAGMA integrity_check"); }

int database_schema(const fs::path& database) { return std::stoi(single_text(database, "PRAGMA user_version")); }

void make_database(const fs::path& database, int version) {
  fs::create_directories(database.parent_path());
  auto db = open_database(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  exec(db.get(), "CREATE TABLE writes(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, source TEXT NOT NULL)");
  exec(db.get(), "PRAGMA user_version=" + std::to_string(version));
}

void write_archive(const fs::path& path, const std::vector<ArchiveEntry>& entries) {
  auto writer = zstd_writer(path, true);
  for (const auto& wanted : entries) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), wanted.path.c_str());
    archive_entry_set_perm(entry.get(), 0600);
    switch (wanted.type) {
      case ArchiveEntry::Type::file:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(wanted.content.size()));
        break;
      case ArchiveEntry::Type::directory: archive_entry_set_filetype(entry.get(), AE_IFDIR); break;
      case ArchiveEntry::Type::symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), wanted.target.c_str());
        break;
      case ArchiveEntry::Type::hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_hardlink(entry.get(), wanted.target.c_str());
        break;
      case ArchiveEntry::Type::character_device:
        archive_entry_set_filetype(entry.get(), AE_IFCHR);
        archive_entry_set_rdev(entry.get(), makedev(1, 3));  // /dev/null's
        break;
      case ArchiveEntry::Type::fifo: archive_entry_set_filetype(entry.get(), AE_IFIFO); break;
    }
    REQUIRE(archive_write_header(writer.get(), entry.get()) == ARCHIVE_OK);
    if (!wanted.content.empty())
      REQUIRE(archive_write_data(writer.get(), wanted.content.data(), wanted.content.size()) ==
              static_cast<la_ssize_t>(wanted.content.size()));
  }
  REQUIRE(archive_write_close(writer.get()) == ARCHIVE_OK);
}

void write_many_entries_archive(const fs::path& path, std::uint64_t count) {
  auto writer = zstd_writer(path, false);
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
  char name[32];
  bool written = true;  // one check, not a million
  for (std::uint64_t i = 0; written && i < count; ++i) {
    archive_entry_clear(entry.get());
    std::snprintf(name, sizeof name, "state/%07llu", static_cast<unsigned long long>(i));
    archive_entry_set_pathname(entry.get(), name);
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0600);
    archive_entry_set_size(entry.get(), 0);
    written = archive_write_header(writer.get(), entry.get()) == ARCHIVE_OK;
  }
  REQUIRE(written);
  REQUIRE(archive_write_close(writer.get()) == ARCHIVE_OK);
}

void write_huge_entry_archive(const fs::path& path, std::uint64_t size) {
  char header[512] = {};
  std::strcpy(header, "state/huge");
  std::memcpy(header + 100, "0000600", 8);  // mode
  std::memcpy(header + 108, "0000000", 8);  // uid
  std::memcpy(header + 116, "0000000", 8);  // gid
  header[124] = static_cast<char>(0x80);    // size in base 256, big-endian in the last 8 bytes
  for (int i = 0; i < 8; ++i) header[135 - i] = static_cast<char>((size >> (8 * i)) & 0xff);
  std::memcpy(header + 136, "00000000000", 12);  // mtime
  header[156] = '0';                               // a regular file
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char byte : header) sum += byte;
  std::snprintf(header + 148, 8, "%06o", sum);
  std::ofstream out(path, std::ios::binary);
  out.write(header, sizeof header);
  const std::string end(1024, '\0');
  out.write(end.data(), static_cast<std::streamsize>(end.size()));
}

std::set<std::string> names_under(const fs::path& root, const std::set<fs::path>& skipped) {
  std::set<std::string> names;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    if (skipped.contains(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    names.insert(fs::relative(it->path(), root).string());
  }
  return names;
}

}  // namespace moltbot::test
