// The pre-change database copies of a rolling reload through the supervisor's own API
// (backup_jobs.h), on an io_context as the supervisor's loop runs them: copies taken while the
// bundled gateway writes, judged by the target release's `database preflight`, and put back when
// the old release refuses the database a newer one migrated (exit 78).
#include <signal.h>

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "backup_fixture.h"
#include "gateway_fixture.h"
#include "moltbot/backup/backup_jobs.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/test/wait_until.h"
#include "runtime_test_loop.h"

using namespace std::chrono_literals;
using namespace moltbot::test;
using moltbot::backup::PreflightVerdict;
using Catch::Contains;

namespace fs = std::filesystem;

// A gateway writing every millisecond does it on its loop: on a loaded machine a checkpoint's fsync
// can hold a SIGTERM back for seconds.
constexpr auto stop_deadline = 20s;
namespace backup = moltbot::backup;
namespace runtime = moltbot::runtime;

namespace {

struct Loop {
  boost::asio::io_context io;
  runtime::Reaper reaper{io};

  backup::CopiedDatabases copy(const fs::path& state, std::size_t keep) {
    std::optional<backup::CopiedDatabases> copies;
    std::string error = "not done";
    backup::copy_databases(io, reaper, state.string(), keep,
                           [&](std::optional<backup::CopiedDatabases> done, const std::string& why) {
                             copies = std::move(done);
                             error = why;
                           });
    REQUIRE(run_until(io, [&] { return copies || error != "not done"; }, 30000ms));
    INFO(error);
    REQUIRE(copies);
    return *copies;
  }

  // The bundled gateway's CLI as the target release: schema 1, or `schema`.
  PreflightVerdict preflight(const std::string& copy, const std::string& schema) {
    runtime::SpawnRequest cli{{MOLTBOT_GATEWAY_BIN}, {{"PATH", "/usr/bin:/bin"}}, "/", -1};
    if (!schema.empty()) cli.env["MOLTBOT_GATEWAY_SCHEMA_VERSION"] = schema;
    for (auto& argument : backup::preflight_arguments(copy)) cli.argv.push_back(std::move(argument));
    std::optional<PreflightVerdict> verdict;
    runtime::run_cli(io, reaper, cli, 10s, [&](runtime::CliOutcome outcome) { verdict = backup::preflight_verdict(outcome); });
    REQUIRE(run_until(io, [&] { return verdict.has_value(); }, 15000ms));
    return *verdict;
  }

  std::optional<std::string> restore(const fs::path& state, const std::string& copies) {
    std::optional<std::optional<std::string>> result;
    backup::restore_databases(io, reaper, state.string(), copies, [&](std::optional<std::string> error) { result = error; });
    REQUIRE(run_until(io, [&] { return result.has_value(); }, 30000ms));
    return *result;
  }
};

}  // namespace

TEST_CASE("database copies: online while the gateway writes, consolidated, the newest N kept, preflighted") {
  GatewayFixture fixture;
  auto gateway = fixture.start("main", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "db_writes=1ms"}});
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  const fs::path state = fixture.state_dir("main");
  const fs::path database = state / "state" / "openclaw.sqlite";
  REQUIRE(wait_until([&] { return database_writes(database).size() > 50; }, 10000ms));

  Loop loop;
  std::vector<std::string> dirs;
  for (int i = 0; i < 4; ++i) {
    const auto committed = database_writes(database).size();
    auto copies = loop.copy(state, 2);
    REQUIRE(copies.files.size() == 1);
    CHECK(fs::path(copies.dir).parent_path() == state / "backups");
    const fs::path copy = copies.files.front();
    CHECK(copy == fs::path(copies.dir) / "openclaw.sqlite");
    for (const char* sidecar : {"-wal", "-shm", "-journal"}) CHECK(!fs::exists(copy.string() + sidecar));
    CHECK(database_integrity(copy) == "ok");
    const auto rows = database_writes(copy);
    CHECK(rows.size() >= committed);
    long long expected = 1;
    for (const auto& [seq, at_ms] : rows) REQUIRE(seq == expected++);
    CHECK((fs::status(copy).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
    dirs.push_back(copies.dir);
  }
  std::vector<std::string> kept;
  for (const auto& entry : fs::directory_iterator(state / "backups")) kept.push_back(entry.path().string());
  std::sort(kept.begin(), kept.end());
  CHECK(kept == std::vector<std::string>{dirs[2], dirs[3]});

  const std::string copy = dirs[3] + "/openclaw.sqlite";
  auto same = loop.preflight(copy, "");
  CHECK(same.kind == PreflightVerdict::Kind::passes);
  CHECK(same.detail == "exact (found 1, target 1)");
  CHECK(loop.preflight(copy, "2").kind == PreflightVerdict::Kind::passes);  // migration-required
  CHECK(loop.preflight(copy, "2").detail == "migration-required (found 1, target 2)");

  // Lines before the JSON (a CLI's warnings) do not hide it.
  std::optional<PreflightVerdict> chatty;
  runtime::run_cli(loop.io, loop.reaper,
                   shell("echo 'warning: something'; echo '{'; echo '\"schema\": \"openclaw.state-schema-preflight.v1\",'; "
                         "echo '\"status\": \"incompatible\", \"foundVersion\": 3, \"targetVersion\": 1}'; exit 1"),
                   5s, [&](runtime::CliOutcome outcome) { chatty = backup::preflight_verdict(outcome); });
  REQUIRE(run_until(loop.io, [&] { return chatty.has_value(); }));
  CHECK(chatty->kind == PreflightVerdict::Kind::refuses);
  CHECK(chatty->detail == "incompatible (found 3, target 1)");

  // A CLI without the command: no preflight answer, which the rollout skips rather than refuses.
  std::optional<PreflightVerdict> unsupported;
  runtime::run_cli(loop.io, loop.reaper, shell("echo \"error: unknown command 'database'\" >&2; exit 1"), 5s,
                   [&](runtime::CliOutcome outcome) { unsupported = backup::preflight_verdict(outcome); });
  REQUIRE(run_until(loop.io, [&] { return unsupported.has_value(); }));
  CHECK(unsupported->kind == PreflightVerdict::Kind::unsupported);
  CHECK_THAT(unsupported->detail, Contains("unknown command 'database'"));
}

TEST_CASE("database copies: no database, no folder, and a state dir that cannot be read is an error") {
  GatewayFixture fixture;
  Loop loop;
  fs::create_directories(fixture.state_dir("empty"));
  auto none = loop.copy(fixture.state_dir("empty"), 3);
  CHECK(none.dir.empty());
  CHECK(none.files.empty());
  CHECK(!fs::exists(fixture.state_dir("empty") / "backups"));

  std::optional<std::string> error;
  backup::copy_databases(loop.io, loop.reaper, (fixture.home.path() / "missing").string(), 3,
                         [&](std::optional<backup::CopiedDatabases>, const std::string& why) { error = why; });
  REQUIRE(run_until(loop.io, [&] { return error.has_value(); }, 10000ms));
  CHECK_THAT(*error, Contains("cannot open the state dir"));
}

TEST_CASE("database copies: a rollback the old release refuses (exit 78) starts once the pre-change copy is back") {
  GatewayFixture fixture;
  const fs::path state = fixture.state_dir("main");
  const fs::path database = state / "state" / "openclaw.sqlite";
  auto old_release = fixture.start("main", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "db_writes=1ms"}});
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  REQUIRE(wait_until([&] { return database_writes(database).size() > 50; }, 10000ms));

  Loop loop;
  auto copies = loop.copy(state, 3);
  const auto copied = database_writes(copies.files.front());
  // The new release (schema 2) passes its preflight, replaces the old one and migrates the database.
  CHECK(loop.preflight(copies.files.front(), "2").kind == PreflightVerdict::Kind::passes);
  old_release->signal(SIGTERM);
  const bool old_release_ended = old_release->wait_for_exit(stop_deadline).has_value();
  INFO("the old release's stderr:\n" << old_release->err());  // read after the wait: its stop is in it
  REQUIRE(old_release_ended);
  auto new_release = fixture.start("main", {{"MOLTBOT_GATEWAY_SCHEMA_VERSION", "2"}});
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  new_release->signal(SIGTERM);
  REQUIRE(new_release->wait_for_exit(stop_deadline));
  // Rolled back: the old release refuses the migrated database...
  auto refused = fixture.start("main");
  auto exit = refused->wait_for_exit(stop_deadline);
  REQUIRE(exit);
  CHECK(exit->code == 78);
  CHECK(loop.preflight(copies.files.front(), "").kind == PreflightVerdict::Kind::passes);
  // ...until the pre-change copy is back.
  REQUIRE(loop.restore(state, copies.dir) == std::nullopt);
  for (const char* sidecar : {"-wal", "-shm"}) CHECK(!fs::exists(database.string() + sidecar));
  CHECK(database_schema(database) == 1);
  CHECK(database_writes(database) == copied);
  auto restarted = fixture.start("main");
  REQUIRE(GatewayFixture::wait_started(fixture.port));
  CHECK(restarted->running());

  CHECK_THAT(loop.restore(state, (state / "backups" / "nothing-here").string()).value_or(""), Contains("cannot open"));
}
