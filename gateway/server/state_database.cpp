#include "state_database.h"

#include <charconv>
#include <fmt/format.h>

#include "handoff_store.h"
#include "moltbot/common/private_directories.h"

namespace moltbot::gateway {
namespace {

namespace fs = std::filesystem;

constexpr int max_schema_version = 1000000;

std::string sqlite_error(sqlite3* db, const fs::path& path, const char* what) {
  return fmt::format("state database {}: {}: {}", path.string(), what, db ? sqlite3_errmsg(db) : "out of memory");
}

bool exec(sqlite3* db, const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }

std::optional<int> user_version(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) != SQLITE_OK) return std::nullopt;
  std::optional<int> version;
  if (sqlite3_step(statement) == SQLITE_ROW) version = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  return version;
}

}  // namespace

SchemaVersionResult supported_schema_version(const Environment& env) {
  auto text = lookup(env, schema_version_variable);
  if (!text || text->empty()) return {};
  int version = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), version);
  if (ec != std::errc() || end != text->data() + text->size() || version < 1 || version > max_schema_version)
    return {default_schema_version,
            fmt::format("{}=\"{}\": expected a schema version 1..{}", schema_version_variable, *text, max_schema_version)};
  return {version, std::nullopt};
}

fs::path state_database_path(const fs::path& state_dir) { return state_dir / "state" / "openclaw.sqlite"; }

StateDatabase::Opened StateDatabase::open(const fs::path& state_dir, int supported) {
  const fs::path path = state_database_path(state_dir);
  if (auto error = make_private_directories(path.parent_path())) return {nullptr, *error};
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string error = sqlite_error(db, path, "cannot open");
    sqlite3_close(db);
    return {nullptr, error};
  }
  std::unique_ptr<StateDatabase> database(new StateDatabase(db));
  // A backup's read transaction may hold a checkpoint back; writers wait for each other briefly.
  sqlite3_busy_timeout(db, 2000);
  if (!exec(db, "PRAGMA journal_mode=WAL") || !exec(db, "PRAGMA synchronous=NORMAL"))
    return {nullptr, sqlite_error(db, path, "cannot switch to WAL")};
  auto found = user_version(db);
  if (!found) return {nullptr, sqlite_error(db, path, "cannot read the schema version")};
  if (*found > supported)
    return {nullptr,
            fmt::format("state database {} has schema version {}, newer than this gateway supports ({}): refusing "
                        "to start; restore a copy taken before the upgrade or run the newer release",
                        path.string(), *found, supported),
            true};
  if (*found < supported) {
    const bool migrated =
        exec(db, "BEGIN IMMEDIATE") &&
        exec(db, "CREATE TABLE IF NOT EXISTS writes(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, source TEXT NOT NULL)") &&
        exec(db, fmt::format("PRAGMA user_version={}", supported)) && exec(db, "COMMIT");
    if (!migrated) {
      std::string error = sqlite_error(db, path, fmt::format("cannot migrate schema {} to {}", *found, supported).c_str());
      exec(db, "ROLLBACK");
      return {nullptr, error};
    }
  }
  if (sqlite3_prepare_v2(db, "INSERT INTO writes(at_ms, source) VALUES(?, ?)", -1, &database->insert_, nullptr) !=
      SQLITE_OK)
    return {nullptr, sqlite_error(db, path, "cannot prepare its insert")};
  return {std::move(database), {}};
}

StateDatabase::~StateDatabase() {
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

std::optional<std::string> StateDatabase::record_write(const char* source) {
  sqlite3_bind_int64(insert_, 1, unix_now_ms());
  sqlite3_bind_text(insert_, 2, source, -1, SQLITE_STATIC);
  const int result = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  if (result == SQLITE_DONE) return std::nullopt;
  return fmt::format("state database: write failed: {}", sqlite3_errmsg(db_));
}

}  // namespace moltbot::gateway
