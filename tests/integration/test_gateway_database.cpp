// The bundled gateway's state database and `database preflight`, as processes: WAL, a row per
// request and per db_writes tick, exit 78 for a newer schema, and the real CLI's preflight JSON,
// key order and exit statuses (openclaw@2026.9.6, measured against copies of a real database).
#include <signal.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "backup_fixture.h"
#include "gateway_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace std::chrono_literals;
using namespace moltbot::test;
using nlohmann::json;
using Catch::Contains;

namespace fs = std::filesystem;

// A gateway writing every millisecond does it on its loop: on a loaded machine a checkpoint's fsync
// can hold a SIGTERM back for seconds.
constexpr auto stop_deadline = 20s;

namespace {

nlohmann::ordered_json preflight_json(const ProcessResult& run) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  auto parsed = nlohmann::ordered_json::parse(run.out, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

std::vector<std::string> keys(const nlohmann::ordered_json& object) {
  std::vector<std::string> names;
  for (const auto& item : object.items()) names.push_back(item.key());
  return names;
}

const std::vector<std::string> preflight_keys{"schema", "databasePath", "targetVersion", "foundVersion",
                                              "ownership", "issues", "status", "requiresWrite"};

}  // namespace

TEST_CASE("state database: <state>/state/openclaw.sqlite in WAL mode, schema 1, a row per request and per tick") {
  GatewayFixture fixture;
  auto gateway = fixture.start("main", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "db_writes=5ms"}});
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  const fs::path database = fixture.state_dir("main") / "state" / "openclaw.sqlite";
  REQUIRE(wait_until([&] { return database_writes(database).size() > 20; }, 10000ms));
  CHECK(fs::exists(database.string() + "-wal"));
  CHECK(database_schema(database) == 1);
  const auto before = database_writes(database).size();
  REQUIRE(http_get("127.0.0.1", fixture.port, "/healthz").ok());
  const auto rows = database_writes(database);
  CHECK(rows.size() > before);
  long long expected = 1;
  for (const auto& [seq, at_ms] : rows) CHECK(seq == expected++);
  gateway->signal(SIGTERM);
  REQUIRE(gateway->wait_for_exit(stop_deadline));
  CHECK(database_integrity(database) == "ok");
}

TEST_CASE("state database: a newer schema is refused at start with exit 78, an older one is migrated") {
  GatewayFixture fixture;
  const fs::path database = fixture.state_dir("main") / "state" / "openclaw.sqlite";
  auto newer = fixture.start("main", {{"MOLTBOT_GATEWAY_SCHEMA_VERSION", "2"}});
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  newer->signal(SIGTERM);
  REQUIRE(newer->wait_for_exit(stop_deadline));
  CHECK(database_schema(database) == 2);

  auto older = fixture.start("main");
  auto exit = older->wait_for_exit(stop_deadline);
  REQUIRE(exit);
  CHECK(exit->code == 78);
  CHECK_THAT(older->err(), Contains("has schema version 2, newer than this gateway supports (1): refusing to start"));
  CHECK(!http_get("127.0.0.1", fixture.port, "/healthz", 200ms).ok());

  auto bad = fixture.run({"--profile", "main", "--port", std::to_string(fixture.port)},
                         {{"MOLTBOT_GATEWAY_SCHEMA_VERSION", "zero"}});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("MOLTBOT_GATEWAY_SCHEMA_VERSION=\"zero\": expected a schema version 1..1000000"));
}

TEST_CASE("database preflight: every status with the real CLI's JSON, key order and exit status") {
  GatewayFixture fixture;
  const fs::path dir = fixture.home.path();
  make_database(dir / "v1.sqlite", 1);
  make_database(dir / "v2.sqlite", 2);
  make_database(dir / "v0.sqlite", 0);
  fixture.home.write("garbage.sqlite", "not a database at all, and long enough to be read as one\n");
  make_database(dir / "sidecar.sqlite", 1);
  fixture.home.write("sidecar.sqlite-wal", "");

  auto exact = fixture.run({"database", "preflight", (dir / "v1.sqlite").string(), "--json"});
  CHECK(exact.exit_code == 0);
  auto reply = preflight_json(exact);
  CHECK(keys(reply) == preflight_keys);
  CHECK(reply["schema"] == "openclaw.state-schema-preflight.v1");
  CHECK(reply["databasePath"] == (dir / "v1.sqlite").string());
  CHECK(reply["status"] == "exact");
  CHECK(reply["foundVersion"] == 1);
  CHECK(reply["targetVersion"] == 1);
  CHECK(reply["ownership"].is_null());
  CHECK(reply["issues"] == nlohmann::ordered_json::array());
  CHECK(reply["requiresWrite"] == false);

  auto newer = fixture.run({"database", "preflight", (dir / "v2.sqlite").string(), "--json"});
  CHECK(newer.exit_code == 1);
  CHECK(preflight_json(newer)["status"] == "incompatible");
  // The same file against a release that supports schema 2 (a newer one) and 3 (migrates it).
  CHECK(preflight_json(fixture.run({"database", "preflight", (dir / "v2.sqlite").string(), "--json"},
                                   {{"MOLTBOT_GATEWAY_SCHEMA_VERSION", "2"}}))["status"] == "exact");
  auto migrate = fixture.run({"database", "preflight", (dir / "v2.sqlite").string(), "--json"},
                             {{"MOLTBOT_GATEWAY_SCHEMA_VERSION", "3"}});
  CHECK(migrate.exit_code == 0);
  CHECK(preflight_json(migrate)["status"] == "migration-required");
  CHECK(preflight_json(migrate)["requiresWrite"] == true);
  CHECK(preflight_json(fixture.run({"database", "preflight", (dir / "v0.sqlite").string(), "--json"}))["status"] ==
        "migration-required");

  for (const auto& [file, reason] : std::vector<std::pair<std::string, std::string>>{
           {"missing.sqlite", "ENOENT: No such file or directory, realpath"},
           {"garbage.sqlite", "SQLite integrity_check failed for"},
           {"sidecar.sqlite", "SQLite preflight requires a consolidated snapshot with no sidecars; found -wal."}}) {
    INFO(file);
    auto run = fixture.run({"database", "preflight", (dir / file).string(), "--json"});
    CHECK(run.exit_code == 1);
    auto answer = preflight_json(run);
    CHECK(answer["status"] == "indeterminate");
    CHECK(answer["foundVersion"].is_null());
    CHECK_THAT(answer["reason"].get<std::string>(), Contains(reason));
    auto expected = preflight_keys;
    expected.push_back("reason");
    CHECK(keys(answer) == expected);
  }
  CHECK(!fs::exists(dir / "v1.sqlite-wal"));  // opened immutable: nothing written beside it

  auto text = fixture.run({"database", "preflight", (dir / "v1.sqlite").string()});
  CHECK(text.exit_code == 0);
  CHECK(text.out == "Database preflight: exact (found 1, target 1).\n");
  auto missing = fixture.run({"database", "preflight"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.err, Contains("Missing required argument \"path\"."));
  CHECK(fixture.run({"database", "vacuum"}).exit_code == 2);
}
