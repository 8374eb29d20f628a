// Folders out of other users' reach: owners, group and other write permission, sticky parents,
// symlinks on the way, folders not made yet.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/common/directory_trust.h"
#include "moltbot/test/temp_dir.h"

using moltbot::DirectoryTrust;
using moltbot::untrusted_directory;
using moltbot::test::TempDir;

namespace {

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;

void make(const std::filesystem::path& dir, mode_t mode, uid_t owner = ::geteuid(), gid_t group = ::getegid()) {
  std::filesystem::create_directories(dir);
  REQUIRE(::chown(dir.c_str(), owner, group) == 0);
  REQUIRE(::chmod(dir.c_str(), mode) == 0);
}

}  // namespace

TEST_CASE("a folder owned by the supervisor and written by no one else is trusted", "[directory-trust]") {
  TempDir dir;
  make(dir.path() / "state", 0700);
  const auto trust = DirectoryTrust::of_supervisor();
  CHECK_FALSE(untrusted_directory(dir.path() / "state", trust));
  CHECK_FALSE(untrusted_directory(dir.path() / "state/", trust));
  CHECK_FALSE(untrusted_directory(dir.path() / "not/made/yet", trust));

  SECTION("owned by another user") {
    REQUIRE(::geteuid() == 0);  // chown needs root
    make(dir.path() / "state", 0700, nobody, nogroup);
    const auto problem = untrusted_directory(dir.path() / "state", trust);
    REQUIRE(problem);
    CHECK(*problem == (dir.path() / "state").string() +
                          " (owner uid 65534, group gid 65534, mode 0700) is owned by another user; a folder the "
                          "supervisor writes into, and each of its parents, must be owned by root or the supervisor's "
                          "uid");
    CHECK(untrusted_directory(dir.path() / "state/below", trust) == problem);
    SECTION("unless it is a profile's own user's") {
      auto with_user = trust;
      with_user.owners.push_back(nobody);
      CHECK_FALSE(untrusted_directory(dir.path() / "state", with_user));
    }
  }
  SECTION("writable by others, sticky or not") {
    make(dir.path() / "state", 01777);
    CHECK(untrusted_directory(dir.path() / "state", trust)->ends_with("mode 1777) is writable by others; chmod go-w it"));
  }
  SECTION("writable by a group the supervisor does not trust") {
    make(dir.path() / "state", 0770, ::geteuid(), nogroup);
    CHECK(untrusted_directory(dir.path() / "state", trust)->ends_with("mode 0770) is writable by its group; chmod go-w it"));
    auto with_group = trust;
    with_group.groups.push_back(nogroup);
    CHECK_FALSE(untrusted_directory(dir.path() / "state", with_group));
  }
  SECTION("a parent writable by others") {
    make(dir.path() / "open", 0777);
    make(dir.path() / "open/state", 0700);
    CHECK(untrusted_directory(dir.path() / "open/state", trust)
              ->starts_with((dir.path() / "open").string() + " (owner uid"));
    CHECK(untrusted_directory(dir.path() / "open/not-yet", trust));
    SECTION("is fine with the sticky bit, as /tmp") {
      make(dir.path() / "open", 01777);
      CHECK_FALSE(untrusted_directory(dir.path() / "open/state", trust));
      CHECK_FALSE(untrusted_directory(dir.path() / "open/not-yet", trust));
    }
  }
  SECTION("a symlink to a folder another user owns") {
    make(dir.path() / "elsewhere", 0700, nobody, nogroup);
    std::filesystem::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "link");
    CHECK(untrusted_directory(dir.path() / "link", trust)
              ->starts_with((dir.path() / "elsewhere").string() + " (owner uid 65534"));
    CHECK(untrusted_directory(dir.path() / "link/state", trust));
  }
  SECTION("a symlink to a trusted folder") {
    std::filesystem::create_directory_symlink(dir.path() / "state", dir.path() / "link");
    CHECK_FALSE(untrusted_directory(dir.path() / "link", trust));
  }
}
