// `backup` and `restore` against the real daemon, the bundled gateway writing to its state
// database all along (test fault db_writes), and moltbot-backup doing the file work.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "backup_fixture.h"
#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;
using Catch::StartsWith;

namespace fs = std::filesystem;

namespace {

// One profile `main` whose gateway writes a database row every millisecond, running.
struct BackupFleet {
  explicit BackupFleet(const std::string& faults = "db_writes=1ms") : fleet(Profiles{{"main", main_profile(faults)}}) {
    fleet.start_supervisor();
    pid = fleet.running_pid("main");
    REQUIRE(pid > 0);
    REQUIRE(wait_control_socket(fleet));
  }

  fs::path state() const { return fleet.dir.path() / "main" / "state"; }
  fs::path database() const { return state() / "state" / "openclaw.sqlite"; }

  ProcessResult ctl(const std::vector<std::string>& args) { return supervisorctl(fleet, args, 120000ms); }

  // The folder a successful or failed restore left its other state in.
  fs::path only_folder(const std::string& prefix) const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(state()))
      if (entry.path().filename().string().starts_with(prefix)) found.push_back(entry.path());
    REQUIRE(found.size() == 1);
    return found.front();
  }

  SupervisorFixture fleet;
  pid_t pid = 0;
};

// A consistent copy holds the writes 1..k as they were: the same rows as the database it came
// from, none missing, and at least those committed before the backup began.
void check_prefix(const std::map<long long, long long>& copy, const std::map<long long, long long>& original,
                  std::size_t committed_before) {
  REQUIRE(!copy.empty());
  long long expected = 1;
  for (const auto& [seq, at_ms] : copy) {
    INFO("seq " << seq);
    REQUIRE(seq == expected++);
    REQUIRE(original.contains(seq));
    REQUIRE(original.at(seq) == at_ms);
  }
  CHECK(copy.size() >= committed_before);
}

}  // namespace

TEST_CASE("backup while the gateway writes, then restore: a consistent prefix of the writes, integrity ok, running") {
  BackupFleet fleet;
  REQUIRE(wait_until([&] { return database_writes(fleet.database()).size() > 100; }, 15000ms));
  // What a backup skips and counts, and what it leaves out.
  fs::create_symlink("/etc/passwd", fleet.state() / "a-link");
  REQUIRE(::mkfifo((fleet.state() / "a-fifo").c_str(), 0600) == 0);
  fleet.fleet.dir.write("main/state/notes/kept.txt", "kept\n");
  // An empty *.sqlite the real gateway holds a lock on: a file, not a database.
  fleet.fleet.dir.write("main/state/tmp/gateway.state.lock.sqlite", "");
  fleet.fleet.dir.write("main/state/backups/old/openclaw.sqlite", "not archived\n");

  const fs::path archive = fleet.fleet.dir.path() / "main.tar.zst";
  const std::size_t committed_before = database_writes(fleet.database()).size();
  auto backup = fleet.ctl({"--json", "backup", "main", "--out", archive.string()});
  REQUIRE(backup.exit_code == 0);
  const json made = ctl_json(backup);
  CHECK(made["profile"] == "main");
  CHECK(made["archive"] == archive.string());
  CHECK(made["databases"] == 1);
  CHECK(made["skipped"]["symlinks"] == 1);
  CHECK(made["skipped"]["special"] == 1);
  CHECK(made["skipped"]["database_sidecars"].get<int>() >= 1);  // -wal and -shm of the live database
  CHECK(made["archive_bytes"] == fs::file_size(archive));
  CHECK(made["duration_ms"].is_number());
  struct stat info {};
  REQUIRE(::stat(archive.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  // Online: the gateway ran through the backup.
  CHECK(fleet.fleet.running_pid("main") == fleet.pid);

  auto restore = fleet.ctl({"--json", "restore", "main", "--from", archive.string()});
  REQUIRE(restore.exit_code == 0);
  const json restored = ctl_json(restore);
  CHECK(restored["databases"] == 1);
  const fs::path previous = restored["previous_state"].get<std::string>();
  CHECK(previous == fleet.only_folder(".restore-previous-"));
  CHECK(!fs::exists(fleet.state() / ".restore-staging"));
  const pid_t new_pid = fleet.fleet.running_pid("main");
  CHECK(new_pid != fleet.pid);

  // The previous state, aside, holds every write until the stop; the restored one a prefix of
  // them, then the writes of the restarted gateway.
  const auto before = database_writes(previous / "state" / "openclaw.sqlite");
  const auto after = database_writes(fleet.database());
  CHECK(database_integrity(fleet.database()) == "ok");
  std::map<long long, long long> copied;
  for (const auto& [seq, at_ms] : after)
    if (before.contains(seq) && before.at(seq) == at_ms) copied[seq] = at_ms;
  check_prefix(copied, before, committed_before);
  for (const auto& [seq, at_ms] : after) {
    INFO("seq " << seq);
    CHECK(seq <= static_cast<long long>(copied.size()) + static_cast<long long>(after.size()));
  }
  CHECK(fs::exists(fleet.state() / "notes" / "kept.txt"));
  CHECK(fs::file_size(fleet.state() / "tmp" / "gateway.state.lock.sqlite") == 0);
  CHECK(!fs::exists(fleet.state() / "a-link"));
  CHECK(fs::exists(fleet.state() / "backups" / "old" / "openclaw.sqlite"));  // kept in place, never archived
  CHECK(fs::exists(fleet.state() / "supervisor.lock"));
  // The restarted gateway writes on from the copy's last row.
  REQUIRE(wait_until([&] { return database_writes(fleet.database()).size() > after.size() + 10; }, 15000ms));
}

TEST_CASE("backup: an existing --out is refused, a relative one is the ctl's, and --out defaults to PROFILE-TIME") {
  BackupFleet fleet("");
  const fs::path taken = fleet.fleet.dir.write("taken.tar.zst", "mine\n");
  auto refused = fleet.ctl({"backup", "main", "--out", taken.string()});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("exists already"));
  CHECK(read_file(taken) == "mine\n");

  auto relative = run_supervisorctl({"--socket", fleet.fleet.control_socket().string(), "backup", "main", "--out",
                                     "sub/../relative.tar.zst"},
                                    fleet.fleet.dir.path().string());
  REQUIRE(relative.exit_code == 0);
  CHECK(fs::exists(fleet.fleet.dir.path() / "relative.tar.zst"));
  CHECK_THAT(relative.out, StartsWith("main: " + (fleet.fleet.dir.path() / "relative.tar.zst").string()));

  // Inside the state dir: the archive being written and its scratch folder are not archived.
  auto inside = fleet.ctl({"--json", "backup", "main", "--out", (fleet.state() / "self.tar.zst").string()});
  REQUIRE(inside.exit_code == 0);
  ProcessRun list;
  list.argv = {"/usr/bin/tar", "--zstd", "-tf", (fleet.state() / "self.tar.zst").string()};
  list.env = {{"PATH", "/usr/bin:/bin"}};
  auto listed = run_process(list);
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find("self.tar.zst") == std::string::npos);
  CHECK(listed.out.find(".databases-") == std::string::npos);
  CHECK(listed.out.find("state/state/openclaw.sqlite\n") != std::string::npos);

  // What an operator reads, and what the supervisor logs.
  auto restored = fleet.ctl({"restore", "main", "--from", (fleet.fleet.dir.path() / "relative.tar.zst").string()});
  REQUIRE(restored.exit_code == 0);
  CHECK_THAT(restored.out, StartsWith("main: restored "));
  CHECK_THAT(restored.out, Contains("running. The previous state is in " + fleet.state().string() + "/.restore-previous-"));
  CHECK_THAT(fleet.fleet.supervisor().err(), Contains("backup: profile main to " + taken.string() + ": "));
  CHECK_THAT(fleet.fleet.supervisor().err(), Contains("restore: profile main runs with the state restored from "));

  auto defaulted = run_supervisorctl({"--socket", fleet.fleet.control_socket().string(), "backup", "main"},
                                     fleet.fleet.dir.path().string());
  REQUIRE(defaulted.exit_code == 0);
  bool found = false;
  for (const auto& entry : fs::directory_iterator(fleet.fleet.dir.path()))
    found = found || (entry.path().filename().string().starts_with("main-") && entry.path().extension() == ".zst");
  CHECK(found);
}

TEST_CASE("restore: hostile archives are refused in one line before the profile is touched, and nothing is written") {
  BackupFleet fleet("");
  const fs::path dir = fleet.fleet.dir.path();
  struct Case {
    const char* name;
    std::function<void(const fs::path&)> write;
    const char* refusal;
  };
  const std::string outside = (dir / "escaped").string();
  using Type = ArchiveEntry::Type;
  auto file = [](std::string path, std::string content = "x") { return ArchiveEntry{std::move(path), Type::file, std::move(content), {}}; };
  auto other = [](std::string path, Type type, std::string target = {}) { return ArchiveEntry{std::move(path), type, {}, std::move(target)}; };
  const std::string damaged_database = std::string("SQLite format 3") + '\0' + std::string(4096, 'z');
  const std::vector<Case> cases{
      {"symlink", [&](const fs::path& a) { write_archive(a, {other("state/", Type::directory), other("state/link", Type::symlink, "/etc")}); }, "a symlink"},
      {"dot-dot", [&](const fs::path& a) { write_archive(a, {file("state/../../escaped")}); }, "\"..\" component"},
      {"absolute", [&](const fs::path& a) { write_archive(a, {file(outside)}); }, "an absolute path"},
      {"device", [&](const fs::path& a) { write_archive(a, {other("state/null", Type::character_device)}); }, "a character device"},
      {"fifo", [&](const fs::path& a) { write_archive(a, {other("state/pipe", Type::fifo)}); }, "a FIFO"},
      {"hardlink", [&](const fs::path& a) { write_archive(a, {file("state/a"), other("state/b", Type::hardlink, "state/a")}); }, "a hard link"},
      {"supervisor file", [&](const fs::path& a) { write_archive(a, {file("state/supervisor.lock")}); }, "keeps in place"},
      {"sidecar", [&](const fs::path& a) { write_archive(a, {file("state/state/openclaw.sqlite-wal")}); }, "sidecar"},
      {"duplicate", [&](const fs::path& a) { write_archive(a, {file("state/a"), file("state/a", "y")}); }, "appears twice"},
      {"not a backup", [&](const fs::path& a) { write_archive(a, {file("other/file")}); }, "outside state/"},
      {"damaged database", [&](const fs::path& a) { write_archive(a, {file("state/state/openclaw.sqlite", damaged_database)}); }, "database state/state/openclaw.sqlite"},
      {"huge", [](const fs::path& a) { write_huge_entry_archive(a, 1ULL << 50); }, "over the size limit"},
      {"a million entries", [](const fs::path& a) { write_many_entries_archive(a, 1000000); }, "more than 100000 entries"},
      {"not an archive", [&](const fs::path& a) { fleet.fleet.dir.write(fs::relative(a, dir), "hello\n"); }, "not a tar archive"},
  };
  const std::set<fs::path> changing{dir / "logs", dir / "main" / "state" / "state", dir / "hostile"};
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      fs::create_directories(dir / "hostile");
      const fs::path archive = dir / "hostile" / (std::string(c.name) + ".tar.zst");
      c.write(archive);
      const auto names = names_under(dir, changing);
      auto refused = fleet.ctl({"restore", "main", "--from", archive.string()});
      INFO(refused.out << refused.err);
      CHECK(refused.exit_code == 1);
      CHECK_THAT(refused.err, StartsWith("moltbot-supervisorctl: archive " + archive.string() + ": "));
      CHECK_THAT(refused.err, Contains(c.refusal));
      CHECK_THAT(refused.err, Contains("[restore-refused]"));
      CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
      CHECK(names_under(dir, changing) == names);  // nothing written, staging removed
      CHECK(!fs::exists(outside));
      CHECK(fleet.fleet.running_pid("main") == fleet.pid);  // never stopped
    }
  }
}

TEST_CASE("restore: a state the profile does not start with (its database too new: exit 78) is rolled back") {
  BackupFleet fleet;
  REQUIRE(wait_until([&] { return database_writes(fleet.database()).size() > 20; }, 15000ms));
  // A newer release's state: schema 2, which the running gateway (schema 1) refuses with exit 78.
  const fs::path newer = fleet.fleet.dir.path() / "newer";
  make_database(newer / "state" / "openclaw.sqlite", 2);
  const fs::path archive = fleet.fleet.dir.path() / "newer.tar.zst";
  ProcessRun create;
  create.argv = {MOLTBOT_BACKUP_BIN, "create", "--state", newer.string(), "--out", archive.string()};
  auto made = run_process(create);
  REQUIRE(made.exit_code == 0);

  auto restore = fleet.ctl({"restore", "main", "--from", archive.string(), "--timeout", "30s"});
  INFO(restore.out << restore.err);
  CHECK(restore.exit_code == 1);
  CHECK_THAT(restore.err, Contains("did not start with the restored state"));
  CHECK_THAT(restore.err, Contains("previous state is back and running"));
  CHECK_THAT(restore.err, Contains("[restore-failed]"));
  CHECK_THAT(fleet.fleet.profile_log("main"), Contains("newer than this gateway supports"));
  // The previous database is back, and written on; the refused one is kept aside.
  CHECK(database_schema(fleet.database()) == 1);
  const auto back = database_writes(fleet.database()).size();
  CHECK(back > 20);
  const fs::path failed = fleet.only_folder(".restore-failed-");
  CHECK(database_schema(failed / "state" / "openclaw.sqlite") == 2);
  CHECK(!fs::exists(fleet.state() / ".restore-staging"));
  CHECK(fleet.fleet.running_pid("main") != fleet.pid);
  REQUIRE(wait_until([&] { return database_writes(fleet.database()).size() > back + 10; }, 15000ms));
}
