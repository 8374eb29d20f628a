#include "database_preflight.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "exit_codes.h"
#include "state_database.h"

namespace moltbot::gateway {
namespace {

struct Verdict {
  std::string status;
  std::optional<int> found;
  bool requires_write = false;
  std::optional<std::string> reason;  // indeterminate only
};

Verdict indeterminate(std::string reason) { return {"indeterminate", std::nullopt, false, std::move(reason)}; }

// One value of a one-row query, or the error as the real CLI words it.
struct Row {
  std::optional<std::string> text;
  std::string error;
};

Row single_text(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  Row row;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
    row.error = sqlite3_errmsg(db);
    return row;
  }
  const int step = sqlite3_step(statement);
  if (step == SQLITE_ROW) {
    const unsigned char* value = sqlite3_column_text(statement, 0);
    row.text = value ? reinterpret_cast<const char*>(value) : "";
  } else if (step != SQLITE_DONE) {
    row.error = sqlite3_errmsg(db);
  }
  sqlite3_finalize(statement);
  return row;
}

Verdict judge(const std::string& path, int target) {
  for (const char* sidecar : {"-wal", "-shm", "-journal"}) {
    struct stat info {};
    if (::lstat((path + sidecar).c_str(), &info) == 0)
      return indeterminate(fmt::format(
          "SQLite preflight requires a consolidated snapshot with no sidecars; found {}. Create a WAL-aware online "
          "backup and preflight the resulting standalone file.",
          sidecar));
  }
  // immutable: no lock, no -shm, nothing written beside the copy.
  sqlite3* db = nullptr;
  const std::string uri = "file:" + path + "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
    Verdict verdict = indeterminate(fmt::format("SQLite could not open {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return verdict;
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> closer(db, sqlite3_close);
  Row integrity = single_text(db, "PRAGMA integrity_check");
  if (!integrity.text || *integrity.text != "ok")
    return indeterminate(fmt::format("SQLite integrity_check failed for {}: {} | ERR_SQLITE_ERROR", path,
                                     integrity.text ? *integrity.text : integrity.error));
  Row version = single_text(db, "PRAGMA user_version");
  if (!version.text) return indeterminate(fmt::format("SQLite could not read the schema version of {}: {}", path, version.error));
  const int found = std::atoi(version.text->c_str());
  if (found > target) return {"incompatible", found, false, std::nullopt};
  if (found < target) return {"migration-required", found, true, std::nullopt};
  Row table = single_text(db, "SELECT name FROM sqlite_master WHERE type='table' AND name='writes'");
  if (!table.text) return {"startup-repairable", found, true, std::nullopt};
  return {"exact", found, false, std::nullopt};
}

// realpath(3), or the real CLI's wording for a file it cannot resolve.
struct Resolved {
  std::optional<std::string> path;
  std::string error;
};

Resolved canonical_path(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (!resolved) {
    const int error = errno;
    return {std::nullopt, fmt::format("{}: {}, realpath '{}'", error == ENOENT ? "ENOENT" : "error",
                                      std::strerror(error), path)};
  }
  std::string result = resolved;
  std::free(resolved);
  return {std::move(result), {}};
}

}  // namespace

int run_database_preflight(const CommandLine& command_line, const Environment& env) {
  if (command_line.preflight_path.empty()) {
    fmt::print(stderr, "Missing required argument \"path\".\nTry: moltbot-gateway database preflight --help\n");
    return exit_code::failure;
  }
  const SchemaVersionResult target = supported_schema_version(env);
  if (target.error) {
    fmt::print(stderr, "{}\n", *target.error);
    return exit_code::usage;
  }
  const Resolved resolved = canonical_path(command_line.preflight_path);
  std::error_code ignored;
  const std::string shown = resolved.path.value_or(std::filesystem::absolute(command_line.preflight_path, ignored).string());
  const Verdict verdict = resolved.path ? judge(*resolved.path, target.version) : indeterminate(resolved.error);
  const bool passes = verdict.status != "incompatible" && verdict.status != "indeterminate";
  if (command_line.json) {
    nlohmann::ordered_json reply{{"schema", preflight_schema},
                                 {"databasePath", shown},
                                 {"targetVersion", target.version},
                                 {"foundVersion", verdict.found ? nlohmann::ordered_json(*verdict.found) : nullptr},
                                 {"ownership", nullptr},
                                 {"issues", nlohmann::ordered_json::array()},
                                 {"status", verdict.status},
                                 {"requiresWrite", verdict.requires_write}};
    if (verdict.reason) reply["reason"] = *verdict.reason;
    fmt::print("{}\n", reply.dump(2));
  } else {
    fmt::print("Database preflight: {} (found {}, target {}).{}\n", verdict.status,
               verdict.found ? std::to_string(*verdict.found) : "none", target.version,
               verdict.reason ? "\n" + *verdict.reason : "");
  }
  return passes ? exit_code::ok : exit_code::failure;
}

}  // namespace moltbot::gateway
