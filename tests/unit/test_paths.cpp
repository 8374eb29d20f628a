#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/common/paths.h"
#include "moltbot/test/temp_dir.h"

namespace fs = std::filesystem;
using moltbot::Environment;
using moltbot::expand_path;
using moltbot::expand_variables;
using moltbot::is_same_or_within;
using moltbot::normalise_path;

TEST_CASE("${VAR} is replaced, an undefined one is an error", "[paths]") {
  const Environment env{{"ROOT", "/srv"}, {"NAME", "main"}, {"EMPTY", ""}};
  CHECK(expand_variables("${ROOT}/x-${NAME}", env).text == "/srv/x-main");
  CHECK(expand_variables("${EMPTY}a", env).text == "a");
  CHECK(expand_variables("cost $5 and $ROOT", env).text == "cost $5 and $ROOT");

  auto undefined = expand_variables("${ROOT}/${MISSING}", env);
  CHECK_FALSE(undefined.text);
  CHECK(undefined.error == "${MISSING} is not set");
  CHECK_FALSE(expand_variables("${ROOT", env).text);
  CHECK_FALSE(expand_variables("${1BAD}", env).text);
  CHECK_FALSE(expand_variables("${}", env).text);
}

TEST_CASE("paths expand ~ and variables and resolve relative to the base folder", "[paths]") {
  const Environment env{{"HOME", "/home/op"}, {"ROOT", "/srv/fleet"}};
  CHECK(expand_path("~", env, "/base").path == fs::path("/home/op"));
  CHECK(expand_path("~/.clawdbot-main", env, "/base").path == fs::path("/home/op/.clawdbot-main"));
  CHECK(expand_path("${ROOT}/state", env, "/base").path == fs::path("/srv/fleet/state"));
  CHECK(expand_path("state/main", env, "/base/dir").path == fs::path("/base/dir/state/main"));
  CHECK(expand_path("../state", env, "/base/dir").path == fs::path("/base/state"));
  CHECK(expand_path("/a/./b//c/", env, "/base").path == fs::path("/a/b/c"));
  CHECK(expand_path("~//x", env, "/base").path == fs::path("/home/op/x"));
  // "~" is expanded before variables, as in a shell: a variable's "~" stays a name.
  CHECK(expand_path("${T}/x", Environment{{"T", "~"}}, "/base").path == fs::path("/base/~/x"));
  CHECK(expand_path("~/${ROOT}", env, "/base").path == fs::path("/home/op/srv/fleet"));
}

TEST_CASE("bad paths say why", "[paths]") {
  const Environment env{{"HOME", "/home/op"}};
  CHECK(expand_path("", env, "/base").error == "empty path");
  CHECK(expand_path("${NOPE}/x", env, "/base").error == "${NOPE} is not set");
  CHECK(expand_path("~other/x", env, "/base").error == "\"~other\" is not supported (only \"~\" for HOME)");
  CHECK_FALSE(expand_path("${EMPTY}", Environment{{"EMPTY", ""}}, "/base").path);
}

TEST_CASE("without HOME, ~ is the effective user's home from the user database", "[paths]") {
  passwd* entry = getpwuid(geteuid());
  REQUIRE(entry != nullptr);
  CHECK(moltbot::home_directory(Environment{}) == fs::path(entry->pw_dir));
  CHECK(moltbot::home_directory(Environment{{"HOME", "/h"}}) == fs::path("/h"));
}

TEST_CASE("normalising resolves symlinks of existing parents and .. lexically", "[paths]") {
  moltbot::test::TempDir dir("moltbot-paths");
  fs::create_directories(dir.path() / "real/state");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "link");

  CHECK(normalise_path(dir.path() / "link/state") == dir.path() / "real/state");
  CHECK(normalise_path(dir.path() / "link/not-yet/x") == dir.path() / "real/not-yet/x");
  CHECK(normalise_path(dir.path() / "link/../real/./state/") == dir.path() / "real/state");
  CHECK(normalise_path(dir.path() / "missing/../real") == dir.path() / "real");
  CHECK(normalise_path("/") == fs::path("/"));
}

TEST_CASE("is_same_or_within compares whole components", "[paths]") {
  CHECK(is_same_or_within("/a/b", "/a/b"));
  CHECK(is_same_or_within("/a/b/c", "/a/b"));
  CHECK(is_same_or_within("/a/b/c", "/a/b/"));
  CHECK(is_same_or_within("/a/b/", "/a/b"));
  CHECK(is_same_or_within("/a", "/"));
  CHECK_FALSE(is_same_or_within("/a/bc", "/a/b"));
  CHECK_FALSE(is_same_or_within("/a", "/a/b"));
  CHECK_FALSE(is_same_or_within("/x/b", "/a/b"));
}
