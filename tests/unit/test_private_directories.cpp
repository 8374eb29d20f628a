// Private folders: created 0700 with their missing parents, existing ones left alone.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

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
