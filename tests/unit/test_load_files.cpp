// File-level problems: one line naming the file, no diagnostics, no manifest. And no input may
// crash or hang the loader.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "load_fixture.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;

namespace {

void check_file_error(const LoadResult& result, const std::string& expected) {
  INFO(listing(result.diagnostics));
  REQUIRE(result.file_error);
  CHECK(*result.file_error == expected);
  CHECK(result.diagnostics.empty());
  CHECK_FALSE(result.manifest);
}

}  // namespace

TEST_CASE("file-error: missing manifest", "[load][file]") {
  ManifestFixture fx;
  check_file_error(load_manifest(fx.manifest_path(), fx.env), fx.manifest_path() + ": no such file");
}

TEST_CASE("file-error: a directory", "[load][file]") {
  ManifestFixture fx;
  check_file_error(load_manifest(fx.root().string(), fx.env), fx.root().string() + ": is a directory");
}

TEST_CASE("file-error: empty, blank or comments only", "[load][file]") {
  ManifestFixture fx;
  const std::string empty = fx.manifest_path() + ": is empty (no settings, only blank lines or comments)";
  check_file_error(fx.load(""), empty);
  check_file_error(fx.load("  \n\t\n\n"), empty);
  check_file_error(fx.load("# just a comment\n  # another\n---\n"), empty);
  check_file_error(fx.load("~\n"), fx.manifest_path() + ": is empty (the YAML document has no settings)");
}

TEST_CASE("file-error: binary garbage and invalid UTF-8", "[load][file]") {
  ManifestFixture fx;
  check_file_error(fx.load(std::string("version: 1\n\x7f"
                                       "ELF\x02\x01\x01\0\0\0",
                                       20)),
                   fx.manifest_path() + ": not a text file (NUL byte at line 2)");
  check_file_error(fx.load("version: 1\nprofiles:\n  m\xE9in: {port: 1}\n"),
                   fx.manifest_path() + ": not a text file (invalid UTF-8 at line 3)");
}

TEST_CASE("file-error: a 50 MB file is refused by its size", "[load][file]") {
  ManifestFixture fx;
  const auto path = fx.write("fleet.yaml", "version: 1\n");
  std::filesystem::resize_file(path, 50 * 1024 * 1024);  // sparse
  check_file_error(load_manifest(path.string(), fx.env), path.string() + ": is larger than 4 MiB (52428800 bytes)");
}

TEST_CASE("file-error: not a regular file", "[load][file]") {
  ManifestFixture fx;
  const auto fifo = fx.root() / "fleet.fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  check_file_error(load_manifest(fifo.string(), fx.env), fifo.string() + ": is not a regular file");
}

TEST_CASE("file-error: unreadable manifest", "[load][file]") {
  if (geteuid() == 0) {
    WARN("skipped: running as root, chmod 000 does not stop reads");
    return;
  }
  ManifestFixture fx;
  const auto path = fx.write("fleet.yaml", "version: 1\n");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  check_file_error(load_manifest(path.string(), fx.env), path.string() + ": permission denied");
}

TEST_CASE("text already in memory gets the same file checks", "[load][file]") {
  const Environment env{{"HOME", "/nonexistent-home"}};
  check_file_error(load_manifest_text("", "mem.yaml", env),
                   "mem.yaml: is empty (no settings, only blank lines or comments)");
  check_file_error(load_manifest_text(std::string("a\0b", 3), "mem.yaml", env),
                   "mem.yaml: not a text file (NUL byte at line 1)");
  check_file_error(load_manifest_text(std::string(5 * 1024 * 1024, '#'), "mem.yaml", env),
                   "mem.yaml: is larger than 4 MiB");
}

TEST_CASE("hostile YAML neither crashes nor hangs the loader", "[load][file]") {
  const Environment env{{"HOME", "/nonexistent-home"}};
  const std::vector<std::string> inputs{
      std::string(10000, '['),  // deep nesting
      std::string(3000, '{') + std::string(3000, '}'),
      "a: &a [*a, *a]\n",  // self reference
      "a: &x [1]\nb: &y [*x, *x, *x, *x]\nc: [*y, *y, *y, *y]\nprofiles: {m: {port: 1, command: *y}}\n",
      "version: !!binary AAAA\nprofiles: {m: {port: !!int 18789}}\n",
      "? [complex, key]\n: value\nprofiles: {m: {port: 1}}\n",
      "version: 1\nprofiles:\n  ? {a: 1}\n  : {port: 1}\n",
      "version: 99999999999999999999999999\nprofiles: {m: {port: -99999999999999999999999}}\n",
      "%YAML 1.2\n---\nversion: 1\n",
      "version: 1\n...\n...\n",
      "\"unterminated\n",
      "version: 1\nprofiles: {m: {port: 1, env: {\"\": x}}}\n",
      "*undefined_alias\n",
      "\xEF\xBB\xBFversion: 1\nprofiles: {m: {port: 18789}}\n",  // BOM
      "version: 1\r\nprofiles:\r\n  m:\r\n    port: 18789\r\n",
      "\t\tversion: 1\n",
  };
  for (const std::string& input : inputs) {
    INFO("input: " << input.substr(0, 80));
    LoadResult result;
    REQUIRE_NOTHROW(result = load_manifest_text(input, "hostile.yaml", env));
    const bool reported = result.file_error || !result.diagnostics.empty() || result.manifest;
    CHECK(reported);
  }
}
