// Profile log files and the lock file in folders another user may have prepared: symlinks and
// hard links planted at their names are refused and their targets untouched; modes and groups;
// rotation through the folder's descriptor; the in-memory tail bounded in lines and bytes.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <variant>

#include "moltbot/runtime/child_log.h"
#include "moltbot/runtime/log_file.h"
#include "moltbot/runtime/profile_lock.h"
#include "moltbot/test/temp_dir.h"

using namespace moltbot::runtime;
using moltbot::test::read_file;
using moltbot::test::TempDir;

namespace {

struct stat stat_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info;
}

// A root-owned 0600 file outside the folder: what a hostile user would point a symlink at.
std::filesystem::path precious_file(const TempDir& dir) {
  auto path = dir.write_private("precious", "keep me\n");
  return path;
}

}  // namespace

TEST_CASE("log files: a symlink or hard link planted at PROFILE.log is refused, its target untouched",
          "[log-files]") {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "log");
  const auto precious = precious_file(dir);
  LogFolder folder((dir.path() / "log").string(), std::nullopt);

  SECTION("symlink") {
    std::filesystem::create_symlink(precious, dir.path() / "log/main.log");
    auto opened = LogFile::open(folder, "main", 1024, 3);
    REQUIRE(std::holds_alternative<std::string>(opened));
    CHECK(std::get<std::string>(opened) == (dir.path() / "log/main.log").string() + " is a symlink: not following it");
  }
  SECTION("hard link") {
    std::filesystem::create_hard_link(precious, dir.path() / "log/main.log");
    auto opened = LogFile::open(folder, "main", 1024, 3);
    REQUIRE(std::holds_alternative<std::string>(opened));
    CHECK_THAT(std::get<std::string>(opened), Catch::Contains("not a regular file of the supervisor's own with one link"));
  }
  SECTION("a FIFO does not block") {
    REQUIRE(::mkfifo((dir.path() / "log/main.log").c_str(), 0600) == 0);
    CHECK(std::holds_alternative<std::string>(LogFile::open(folder, "main", 1024, 3)));
  }
  CHECK(read_file(precious) == "keep me\n");
  CHECK((stat_of(precious).st_mode & 07777) == 0600);

  SECTION("a profile log whose file is refused keeps its lines in memory") {
    std::filesystem::remove(dir.path() / "log/main.log");
    std::filesystem::create_symlink(precious, dir.path() / "log/main.log");
    ProfileLog log(std::make_shared<LogFolder>((dir.path() / "log").string(), std::nullopt), "main",
                   std::make_shared<TailBudget>());
    log.child_line("gateway output");
    CHECK(log.tail(1) == std::vector<std::string>{"gateway output"});
    CHECK(read_file(precious) == "keep me\n");
  }
}

TEST_CASE("log files: created 0640 with socket_group's group, rotated under the same names", "[log-files]") {
  TempDir dir;
  const gid_t group = 65534;  // nogroup
  LogFolder folder(dir.path().string(), group);
  auto opened = LogFile::open(folder, "main", 100, 2);
  REQUIRE(std::holds_alternative<LogFile>(opened));
  auto& file = std::get<LogFile>(opened);
  const auto info = stat_of(dir.path() / "main.log");
  CHECK((info.st_mode & 07777) == 0640);
  CHECK(info.st_gid == group);

  const std::string sixty(59, 'x');
  for (int i = 0; i < 5; ++i) REQUIRE_FALSE(file.append(sixty + std::to_string(i) + "\n"));
  CHECK(read_file(dir.path() / "main.log") == sixty + "4\n");
  CHECK(read_file(dir.path() / "main.1.log") == sixty + "3\n");
  CHECK(read_file(dir.path() / "main.2.log") == sixty + "2\n");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "main.3.log"));
  CHECK((stat_of(dir.path() / "main.1.log").st_mode & 07777) == 0640);

  SECTION("an existing file too wide open is narrowed") {
    std::filesystem::remove(dir.path() / "main.log");
    dir.write("main.log", "old\n");
    REQUIRE(::chmod((dir.path() / "main.log").c_str(), 0666) == 0);
    REQUIRE(std::holds_alternative<LogFile>(LogFile::open(folder, "main", 100, 2)));
    CHECK((stat_of(dir.path() / "main.log").st_mode & 07777) == 0640);
  }
}

TEST_CASE("lock file: a symlink planted at supervisor.lock is refused, its target untouched", "[log-files]") {
  TempDir dir;
  const auto precious = precious_file(dir);
  std::filesystem::create_directory(dir.path() / "state");
  std::filesystem::create_symlink(precious, dir.path() / "state/supervisor.lock");
  auto lock = ProfileLock::acquire((dir.path() / "state").string());
  REQUIRE(std::holds_alternative<std::string>(lock));
  CHECK(std::get<std::string>(lock) ==
        "lock file " + (dir.path() / "state/supervisor.lock").string() + " is a symlink: not following it");
  CHECK(read_file(precious) == "keep me\n");

  SECTION("a lock file made afresh is 0600") {
    std::filesystem::remove(dir.path() / "state/supervisor.lock");
    REQUIRE(std::holds_alternative<ProfileLock>(ProfileLock::acquire((dir.path() / "state").string())));
    CHECK((stat_of(dir.path() / "state/supervisor.lock").st_mode & 07777) == 0600);
  }
}

TEST_CASE("tail: bounded in lines, in bytes per profile and in bytes for the fleet", "[log-files]") {
  TempDir dir;
  auto folder = std::make_shared<LogFolder>(dir.path().string(), std::nullopt);
  auto budget = std::make_shared<TailBudget>(TailBudget{.lines = 5, .profile_bytes = 1000, .total_bytes = 1500});
  const std::string line(300, 'a');

  auto noisy = std::make_unique<ProfileLog>(folder, "noisy", budget);
  for (int i = 0; i < 10; ++i) noisy->child_line(std::to_string(i) + line);
  // 1000 bytes hold three 301-byte lines: the newest three.
  CHECK(noisy->tail(10) == std::vector<std::string>{"7" + line, "8" + line, "9" + line});
  CHECK(budget->used == 903);

  ProfileLog quiet(folder, "quiet", budget);
  for (int i = 0; i < 3; ++i) quiet.child_line(std::to_string(i) + line);
  // Over the fleet's 1500 bytes: the quiet profile's own oldest lines go, not the noisy one's.
  CHECK(quiet.tail(10) == std::vector<std::string>{"2" + line});
  CHECK(noisy->tail(10).size() == 3);
  CHECK(budget->used == 1204);

  SECTION("lines alone bound a tail of short lines") {
    for (int i = 0; i < 8; ++i) quiet.child_line(std::to_string(i));
    CHECK(quiet.tail(10) == std::vector<std::string>{"3", "4", "5", "6", "7"});
  }
  SECTION("a profile that goes gives its bytes back") {
    noisy.reset();
    CHECK(budget->used == 301);
  }
}
