// What the loader (so `check`, the start and a reload) says about a profile's env_file beyond
// its syntax: who else may read it, and whether the start it feeds can succeed at all.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "load_fixture.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;

namespace {

const char* one_profile = "version: 1\nprofiles:\n  main: {port: 18789, env_file: main.env}\n";

}  // namespace

TEST_CASE("env-file-permissions: an env_file other users may read or write", "[load][env-file-permissions]") {
  ManifestFixture fx;
  const auto path = fx.write_private("main.env", "GATEWAY_TOKEN=secret-value-123\n").string();
  clean_manifest(fx.load(one_profile));

  // Tests run as root on the build machine, and as a user elsewhere: an error for root, a
  // warning otherwise (the other side is tested through `check` as nobody, test_check_cli.cpp).
  const bool root = ::geteuid() == 0;
  const Severity expected = root ? Severity::error : Severity::warning;
  const std::string refused = root ? " (refused because the supervisor runs as root)" : "";
  const std::string owner = std::to_string(::geteuid());
  for (const auto& [mode, problem] :
       {std::pair{0644, "readable by group and others (mode 0644"}, {0604, "readable by others (mode 0604"},
        {0660, "readable by group and writable by group (mode 0660"},
        {0602, "writable by others (mode 0602"}}) {
    REQUIRE(::chmod(path.c_str(), static_cast<mode_t>(mode)) == 0);
    const auto result = fx.load(one_profile);
    const Diagnostic& d = only_diagnostic(result);
    CHECK(d.code == "env-file-permissions");
    CHECK(d.severity == expected);
    CHECK(d.where.line == 3);
    CHECK(d.where.column == 33);
    CHECK(d.message == "profile \"main\": field \"env_file\": " + path + " is " + problem + ", owner uid " + owner +
                           "); it holds the gateway's secrets and environment: chmod 600 " + path + refused);
    CHECK(d.message.find("secret-value-123") == std::string::npos);
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  clean_manifest(fx.load(one_profile));
}

TEST_CASE("env_file: a byte order mark at the start is skipped", "[load][env-file-unreadable]") {
  ManifestFixture fx;
  fx.write_private("main.env", "\xEF\xBB\xBFGATEWAY_TOKEN=abc\nOTHER=1\n");
  clean_manifest(fx.load(one_profile));
}

TEST_CASE("exec-too-large: a value every start would fail on with E2BIG", "[load][exec-too-large]") {
  ManifestFixture fx;
  const std::string big(200 * 1024, 'x');  // the case: 200 KB passed check, then every start failed
  const auto path = fx.write_private("main.env", "SMALL=1\nBIG_TOKEN=" + big + "\n").string();
  const auto from_file = fx.load(one_profile);
  const Diagnostic& d = only_diagnostic(from_file);
  CHECK(d.code == "exec-too-large");
  CHECK(d.severity == Severity::error);
  CHECK(d.where.line == 3);
  CHECK(d.where.column == 33);
  CHECK(d.message == "profile \"main\": field \"env_file\": " + path +
                         ":2: BIG_TOKEN is 204811 bytes; the kernel takes at most 131072 per string (MAX_ARG_STRLEN), "
                         "so every start would fail with E2BIG");

  // Just within: NAME=VALUE and its NUL make 131072 bytes.
  fx.write_private("main.env", "BIG_TOKEN=" + std::string(131072 - 11, 'x') + "\n");
  clean_manifest(fx.load(one_profile));

  // From the manifest's env, from the command, from the supervisor's own environment.
  const std::string long_value(130 * 1024, 'y');
  const auto from_manifest = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n    env: {LONG: " + long_value +
                                     "}\n    command: [moltbot-gateway, " + long_value + "]\n");
  INFO(listing(from_manifest.diagnostics));
  REQUIRE(from_manifest.diagnostics.size() == 2);
  CHECK(from_manifest.diagnostics[0].where.line == 5);
  CHECK(from_manifest.diagnostics[0].message ==
        "profile \"main\": field \"env.LONG\": is 133126 bytes; the kernel takes at most 131072 per string "
        "(MAX_ARG_STRLEN), so every start would fail with E2BIG");
  CHECK(from_manifest.diagnostics[1].where.line == 6);
  CHECK(from_manifest.diagnostics[1].message ==
        "profile \"main\": field \"command\": argument 2 is 133121 bytes; the kernel takes at most 131072 per string "
        "(MAX_ARG_STRLEN), so every start would fail with E2BIG");

  fx.env["INHERITED"] = long_value;
  const auto from_environment = fx.load("version: 1\nprofiles:\n  main: {port: 18789}\n");
  const Diagnostic& inherited = only_diagnostic(from_environment);
  CHECK(inherited.where.line == 3);
  CHECK(inherited.message == "profile \"main\": the supervisor's environment variable INHERITED, which the gateway "
                             "inherits, is 133131 bytes; the kernel takes at most 131072 per string (MAX_ARG_STRLEN), "
                             "so every start would fail with E2BIG");
}

TEST_CASE("exec-too-large: an environment larger than one start may carry", "[load][exec-too-large]") {
  ManifestFixture fx;
  // 60 variables of 110 KB: each one fits, all of them exceed even the kernel's 6 MiB cap.
  for (int i = 0; i < 60; ++i) fx.env["PART_" + std::to_string(i)] = std::string(110 * 1024, 'z');
  const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789}\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "exec-too-large");
  CHECK(d.where.line == 3);
  CHECK_THAT(d.message, Catch::StartsWith("profile \"main\": the command and environment take ") &&
                            Catch::EndsWith(" (a quarter of the stack limit, ARG_MAX), so every start would fail "
                                            "with E2BIG"));
}
