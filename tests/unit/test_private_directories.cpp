// Private folders: created 0700 with their missing parents, existing ones left alone; a gateway's
// own folders (make_owned_directory).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/common/owned_directory.h"
#include "moltbot/common/private_directories.h"
#include "moltbot/test/temp_dir.h"

using moltbot::make_private_directories;
using moltbot::test::TempDir;

namespace {

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("private folders are created 0700 with their missing parents", "[private-directories]") {
  TempDir dir;
  const auto nested = dir.path() / "a/b/c";
  REQUIRE_FALSE(make_private_directories(nested));
  for (const auto& folder : {dir.path() / "a", dir.path() / "a/b", nested}) CHECK(mode_of(folder) == 0700);

  SECTION("an existing folder keeps its mode") {
    std::filesystem::create_directory(dir.path() / "open");
    std::filesystem::permissions(dir.path() / "open", std::filesystem::perms(0755));
    REQUIRE_FALSE(make_private_directories(dir.path() / "open/inner"));
    CHECK(mode_of(dir.path() / "open") == 0755);
    CHECK(mode_of(dir.path() / "open/inner") == 0700);
  }
  SECTION("a file in the way is named") {
    dir.write("file", "x");
    CHECK(*make_private_directories(dir.path() / "file") ==
          (dir.path() / "file").string() + " exists and is not a folder");
    CHECK(make_private_directories(dir.path() / "file/below")->starts_with("cannot create folder " +
                                                                           (dir.path() / "file/below").string()));
  }
}

TEST_CASE("a gateway's own folder: made 0700 for its owner below 0711 parents, or checked", "[private-directories]") {
  TempDir dir;
  const moltbot::Account me = moltbot::own_account();
  const auto state = dir.path() / "fleet/main/state";
  REQUIRE_FALSE(moltbot::make_owned_directory(state, me));
  CHECK(mode_of(dir.path() / "fleet") == 0711);
  CHECK(mode_of(dir.path() / "fleet/main") == 0711);
  CHECK(mode_of(state) == 0700);

  SECTION("an existing one of its owner is narrowed to 0700") {
    std::filesystem::permissions(state, std::filesystem::perms(0775));
    REQUIRE_FALSE(moltbot::make_owned_directory(state, me));
    CHECK(mode_of(state) == 0700);
  }
  SECTION("an existing one of another owner is refused with the fix") {
    moltbot::Account other = me;
    other.uid += 1;
    other.user = "someone";
    other.group = "them";
    CHECK(*moltbot::make_owned_directory(state, other) ==
          state.string() + " is owned by uid " + std::to_string(me.uid) + ", not by user \"someone\" (uid " +
              std::to_string(other.uid) + ") who runs the gateway; give it and its contents to that user: chown -R "
              "someone:them " + state.string());
  }
  SECTION("a symlink in its place is not followed") {
    std::filesystem::create_directory_symlink(state, dir.path() / "link");
    CHECK(*moltbot::make_owned_directory(dir.path() / "link", me) ==
          (dir.path() / "link").string() + " is a symlink; a gateway's folder must be a folder");
  }
}
