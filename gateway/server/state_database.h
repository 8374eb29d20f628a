#pragma once
// The gateway's state database, <state dir>/state/openclaw.sqlite, where the real gateway keeps its
// own (spec section 5): SQLite in WAL mode, the schema version in PRAGMA user_version (what the
// real `openclaw database preflight` reads as foundVersion), and one row per write in `writes`
// (a request served, or the db_writes test fault's timer) so a copy shows which writes it holds:
// a consistent copy holds rows 1..N with no gap.
//
// The schema version this gateway supports is 1, or MOLTBOT_GATEWAY_SCHEMA_VERSION: tests stand
// in for a newer release (2) that migrates the database forward, and an older one that then
// refuses it at start with exit 78, as the real gateway refuses a database newer than its build.
#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "moltbot/common/environment.h"

namespace moltbot::gateway {

inline constexpr int default_schema_version = 1;
inline constexpr const char* schema_version_variable = "MOLTBOT_GATEWAY_SCHEMA_VERSION";

struct SchemaVersionResult {
  int version = default_schema_version;
  std::optional<std::string> error;  // a value that is not a number 1..1000000
};

SchemaVersionResult supported_schema_version(const Environment& env);

std::filesystem::path state_database_path(const std::filesystem::path& state_dir);

class StateDatabase {
 public:
  struct Opened {
    std::unique_ptr<StateDatabase> database;
    std::string error;      // when database is null
    bool too_new = false;   // the database's schema is newer than `supported`: exit 78
  };

  // Creates the database (and <state dir>/state, 0700) when missing, or migrates an older schema
  // to `supported`.
  static Opened open(const std::filesystem::path& state_dir, int supported);

  StateDatabase(const StateDatabase&) = delete;
  StateDatabase& operator=(const StateDatabase&) = delete;
  ~StateDatabase();

  // Appends one row; returns why it could not (a full disk, a locked database), or nothing.
  std::optional<std::string> record_write(const char* source);

 private:
  explicit StateDatabase(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace moltbot::gateway
