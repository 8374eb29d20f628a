// The profile's gateway config file: what it pins is what the child uses; a manifest value that
// differs is a config-contradiction; an unreadable or invalid file is gateway-config-invalid; its
// gateway.port is where the gateway's own CLI looks (config-contradiction, config-port-missing).
// The files name the manifest's gateway port unless the test is about that.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "load_fixture.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;

namespace {

const PortUse& use_named(const Profile& profile, const std::string& name) {
  for (const PortUse& use : profile.ports.uses)
    if (use.name == name) return use;
  FAIL("no port use named " << name);
  throw std::logic_error("unreachable");
}

std::string main_config(const ManifestFixture& fx) { return (fx.home() / ".openclaw-main/openclaw.json").string(); }

const char* const control_port_config = R"({
  // pinned by hand while debugging
  "browser": {
    "controlPort": 19103
  },
  "gateway": {"port": 18789}
}
)";

}  // namespace

TEST_CASE("a pinned browser.controlPort is used when the manifest is silent", "[load][gateway-config]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", control_port_config);
  const auto loaded = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  CHECK(p.ports.browser_control == 19103);
  const PortUse& control = use_named(p, "browser control");
  CHECK(control.range.first == 19103);
  CHECK(control.where.file == main_config(fx));
  CHECK(control.where.line == 4);
  CHECK(control.where.column == 5);
  const PortUse& cdp = use_named(p, "CDP range");  // follows the control port the child really uses
  CHECK(cdp.range.first == 19112);
  CHECK(cdp.range.last == 19211);
  CHECK(cdp.where.line == 4);
  CHECK(p.location_of("browser.control_port").file == main_config(fx));
}

TEST_CASE("config-contradiction: the manifest pins another control port", "[load][config-contradiction]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", control_port_config);
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    browser: {control_port: 18791}
)");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "config-contradiction");
  CHECK(d.where.file == fx.manifest_path());
  CHECK(d.where.line == 5);
  CHECK(d.where.column == 29);
  CHECK(d.message ==
        "profile \"main\": field \"browser.control_port\": 18791 contradicts browser.controlPort = 19103 in " +
            main_config(fx) + ", which the gateway uses");
  REQUIRE(d.related.size() == 1);
  CHECK(d.related[0].message == "browser.controlPort is set here");
  CHECK(d.related[0].where.file == main_config(fx));
  CHECK(d.related[0].where.line == 4);
  CHECK(d.related[0].where.column == 5);
  CHECK(result.manifest->profiles[0].ports.browser_control == 19103);
}

TEST_CASE("the same value in manifest and config file is fine", "[load][gateway-config]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", control_port_config);
  const auto loaded = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n    browser: {control_port: 19103}\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  CHECK(use_named(p, "browser control").where.file == fx.manifest_path());
}

TEST_CASE("a config file with comments pins canvas, CDP range, browser profiles and workspace",
          "[load][gateway-config]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", R"(/* gateway config */
{
  "gateway": {"port": 18789},  // where the gateway's own CLI looks for it
  "canvasHost": {"port": 18950},
  "browser": {
    "cdpPortRangeStart": 21000,
    "profiles": {
      "work": {"cdpPort": 21005},
      "chrome": {"cdpUrl": "http://127.0.0.1:9222"}
    }
  },
  "agents": {"defaults": {"workspace": "~/agents/main"}}
}
)");
  const auto loaded = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  CHECK(p.ports.gateway == 18789);
  CHECK(p.ports.canvas == 18950);
  CHECK(use_named(p, "canvas host").where.line == 4);
  CHECK(use_named(p, "canvas host").where.column == 18);
  CHECK(p.ports.cdp_start == 21000);
  CHECK(p.ports.cdp_end == 21099);
  CHECK(use_named(p, "CDP port of browser profile work").range.first == 21005);
  CHECK(use_named(p, "cdpUrl of browser profile chrome").range.first == 9222);
  CHECK(use_named(p, "cdpUrl of browser profile chrome").where.line == 9);
  CHECK(p.cdp_urls == std::vector<std::string>{"http://127.0.0.1:9222"});
  CHECK(p.workspace == (fx.home() / "agents/main").string());
  CHECK(p.location_of("workspace").file == main_config(fx));
  CHECK(p.location_of("workspace").line == 12);
}

TEST_CASE("config-contradiction: canvas, CDP range, browser profiles and workspace", "[load][config-contradiction]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", R"({
  "canvasHost": {"port": 18950},
  "browser": {"cdpPortRangeStart": 21000, "profiles": {"work": {"cdpUrl": "http://127.0.0.1:9222"}}},
  "agents": {"defaults": {"workspace": "/srv/ws"}},
  "gateway": {"port": 18789}
})");
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    canvas_port: 18793
    workspace: /srv/other
    browser:
      cdp_port_range: [21000, 21050]
      profiles: {work: {cdp_port: 19020}}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 4);
  for (const Diagnostic& d : result.diagnostics) CHECK(d.code == "config-contradiction");
  CHECK(result.diagnostics[0].where.line == 5);
  CHECK(result.diagnostics[0].message ==
        "profile \"main\": field \"canvas_port\": 18793 contradicts canvasHost.port = 18950 in " + main_config(fx) +
            ", which the gateway uses");
  CHECK(result.diagnostics[1].where.line == 6);
  CHECK(result.diagnostics[1].message ==
        "profile \"main\": field \"workspace\": /srv/other contradicts "
        "agents.defaults.workspace = /srv/ws in " +
            main_config(fx) + ", which the gateway uses");
  CHECK(result.diagnostics[2].where.line == 8);
  CHECK(result.diagnostics[2].message ==
        "profile \"main\": field \"browser.cdp_port_range\": 21000..21050 contradicts browser.cdpPortRangeStart = "
        "21000..21099 in " +
            main_config(fx) + ", which the gateway uses");
  CHECK(result.diagnostics[3].where.line == 9);
  CHECK(result.diagnostics[3].where.column == 35);
  CHECK(result.diagnostics[3].message ==
        "profile \"main\": field \"browser.profiles.work.cdp_port\": 19020 contradicts browser.profiles.work.cdpUrl = "
        "http://127.0.0.1:9222 in " +
            main_config(fx) + ", which the gateway uses");
  CHECK(result.diagnostics[3].related.at(0).where.line == 3);
  const Profile& p = result.manifest->profiles[0];
  CHECK(p.workspace == "/srv/ws");
  CHECK(p.ports.canvas == 18950);
}

TEST_CASE("gateway-config-invalid: not JSON, with file and line", "[load][gateway-config-invalid]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", R"({
  "browser": {
    "controlPort": 19103,
  }
})");
  const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "gateway-config-invalid");
  CHECK(d.where.file == main_config(fx));
  CHECK(d.where.line == 4);
  CHECK(d.where.column == 3);
  CHECK(d.message ==
        "profile \"main\": gateway config file " + main_config(fx) +
            ": not valid JSON: syntax error while parsing object key - unexpected '}'; expected string literal");
  REQUIRE(d.related.size() == 1);
  CHECK(d.related[0].message == "profile \"main\" uses this config file");
  CHECK(d.related[0].where.file == fx.manifest_path());
  CHECK(d.related[0].where.line == 3);  // the profile: config_path is the default
  // The gateway's own defaults are assumed for what the file would have said.
  CHECK(result.manifest->profiles[0].ports.browser_control == 18791);
}

TEST_CASE("gateway-config-invalid: wrong types and an unreadable file", "[load][gateway-config-invalid]") {
  ManifestFixture fx;
  fx.write("main.json", R"({"browser": {"controlPort": "19103", "profiles": {"work": {"cdpPort": 70000}}},
 "canvasHost": {"port": 18950.5}, "channels": {"telegram": {"botToken": 12345}}, "gateway": {"port": 18789}})");
  std::filesystem::create_directories(fx.root() / "rescue.json");
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789, config_path: main.json}
  rescue: {port: 19001, config_path: rescue.json}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  for (const Diagnostic& d : result.diagnostics) CHECK(d.code == "gateway-config-invalid");
  const std::string main_json = (fx.root() / "main.json").string();
  const std::string rescue_json = (fx.root() / "rescue.json").string();
  // Located in other files: after the manifest's own diagnostics, in the order found.
  CHECK(result.diagnostics[0].message == "profile \"main\": gateway config file " + main_json +
                                             ": browser.controlPort must be a port number 1..65535, got \"19103\"");
  CHECK(result.diagnostics[0].where.line == 1);
  CHECK(result.diagnostics[0].where.column == 14);
  CHECK(result.diagnostics[0].related.at(0).where.line == 3);
  CHECK(result.diagnostics[0].related.at(0).where.column == 36);
  CHECK(result.diagnostics[1].message == "profile \"main\": gateway config file " + main_json +
                                             ": canvasHost.port must be a port number 1..65535, got 18950.5");
  CHECK(result.diagnostics[2].message ==
        "profile \"main\": gateway config file " + main_json +
            ": browser.profiles.work.cdpPort must be a port number 1..65535, got 70000");
  CHECK(result.diagnostics[3].message ==
        "profile \"main\": gateway config file " + main_json + ": channels.telegram.botToken must be a string");
  CHECK(result.diagnostics[4].message ==
        "profile \"rescue\": gateway config file " + rescue_json + ": cannot be read: is a directory");
  CHECK(result.diagnostics[4].where.line == 0);
}

// Found with the fuzz targets (docs/fuzzing.md): the message printed the value, and printing
// recurses once per level.
TEST_CASE("gateway-config-invalid: a deeply nested port value is named, not printed",
          "[load][gateway-config-invalid]") {
  ManifestFixture fx;
  const std::size_t depth = 200'000;  // deep enough to overflow the stack in the sanitizer build
  fx.write("main.json", R"({"browser": {"controlPort": )" + std::string(depth, '[') + std::string(depth, ']') +
                            R"(}, "canvasHost": {"port": {"a": 1}}, "gateway": {"port": 18789}})");
  const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, config_path: main.json}\n");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  const std::string prefix = "profile \"main\": gateway config file " + (fx.root() / "main.json").string() + ": ";
  CHECK(result.diagnostics[0].message == prefix + "browser.controlPort must be a port number 1..65535, got a list");
  CHECK(result.diagnostics[1].message == prefix + "canvasHost.port must be a port number 1..65535, got an object");
}

// Found with the fuzz targets (docs/fuzzing.md): every key's full path was kept, quadratic in
// the depth (half as deep as this took 18 s and 1.5 GB).
TEST_CASE("a deeply nested gateway config file is read in one pass", "[load][gateway-config]") {
  ManifestFixture fx;
  const std::size_t depth = 20'000;
  std::string nested;
  for (std::size_t i = 0; i < depth; ++i) nested += R"({"a":)";
  fx.write("main.json", R"({"gateway": {"port": 18789}, "canvasHost": {"port": 18950}, "deep": )" + nested + "1" +
                            std::string(depth, '}') + "}");
  const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, config_path: main.json}\n");
  CHECK(clean_manifest(result).profiles.at(0).ports.canvas == 18950);
}

TEST_CASE("channel credentials are read, ${VAR} resolved with the child's environment", "[load][credentials]") {
  ManifestFixture fx;
  fx.env["FROM_SUPERVISOR"] = "sup-secret";
  fx.env["CLAWDBOT_TOKEN_LEAK"] = "stripped-from-children";
  fx.write_private("main.env", "DISCORD_TOKEN=env-file-secret\n");
  fx.write("home/.openclaw-main/openclaw.json", R"({
  "channels": {
    "telegram": {"botToken": "literal-secret", "accounts": {"ops": {"botToken": "${FROM_SUPERVISOR}"}}},
    "discord": {"token": "${DISCORD_TOKEN}"},
    "slack": {"accounts": {"a": {"token": "prefix-${FROM_MANIFEST}"}, "b": {"token": ""}}},
    "whatsapp": {"enabled": true}
  },
  "gateway": {"port": 18789}
})");
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    env_file: main.env
    env: {FROM_MANIFEST: manifest-secret}
)");
  const Profile& p = clean_manifest(result).profiles.at(0);
  REQUIRE(p.credentials.size() == 4);
  CHECK(p.credentials[0].channel == "discord");
  CHECK(p.credentials[0].field == "token");
  CHECK(p.credentials[0].value == "env-file-secret");
  CHECK(p.credentials[1].channel == "slack");
  CHECK(p.credentials[1].account == "a");
  CHECK(p.credentials[1].value == "prefix-manifest-secret");
  CHECK(p.credentials[2].channel == "telegram");
  CHECK(p.credentials[2].account == "");
  CHECK(p.credentials[2].field == "botToken");
  CHECK(p.credentials[2].value == "literal-secret");
  CHECK(p.credentials[3].account == "ops");
  CHECK(p.credentials[3].value == "sup-secret");
}

TEST_CASE("an unresolvable credential is reported without its value", "[load][credentials]") {
  ManifestFixture fx;
  fx.env["CLAWDBOT_TELEGRAM"] = "inherited-but-stripped";
  fx.write("home/.openclaw-main/openclaw.json",
           "{\"channels\": {\"telegram\": {\"botToken\": \"${CLAWDBOT_TELEGRAM}\"}}, "
           "\"gateway\": {\"port\": 18789}}\n");
  const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "gateway-config-invalid");
  CHECK(d.where.line == 1);
  CHECK(d.where.column == 28);
  CHECK(d.message == "profile \"main\": gateway config file " + main_config(fx) +
                         ": channels.telegram.botToken: ${CLAWDBOT_TELEGRAM} is not set in the gateway's environment");
  CHECK(result.manifest->profiles[0].credentials.empty());
}

TEST_CASE("secrets never appear in diagnostics", "[load][credentials]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", "{\"channels\": {\"telegram\": {\"botToken\": \"s3cr3t-t0ken\",}}}\n");
  const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "gateway-config-invalid");
  CHECK(d.message.find("s3cr3t") == std::string::npos);
}

TEST_CASE("config-contradiction: gateway.port names another port than the manifest", "[load][config-contradiction]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", "{\n  \"gateway\": {\"port\": 21789}\n}\n");
  const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Diagnostic& d = only_diagnostic(result);
  check_at(d, "config-contradiction", 4, 11,
           "profile \"main\": field \"port\": 18789 contradicts gateway.port = 21789 in " + main_config(fx) +
               ", where the gateway's own CLI looks for the gateway");
  CHECK(d.where.file == fx.manifest_path());
  REQUIRE(d.related.size() == 1);
  CHECK(d.related[0].message == "gateway.port is set here");
  CHECK(d.related[0].where.file == main_config(fx));
  CHECK(d.related[0].where.line == 2);
  CHECK(d.related[0].where.column == 15);
  // The supervisor passes --port: the manifest's port is the one run and checked.
  CHECK(result.manifest->profiles[0].ports.gateway == 18789);
}

TEST_CASE("config-port-missing: a warning with the command that sets gateway.port", "[load][config-port-missing]") {
  ManifestFixture fx;
  const auto missing = [](const std::string& path) {
    return "profile \"main\": gateway config file " + path +
           " has no gateway.port, so the gateway's own CLI looks for the gateway on another port than 18789; ";
  };
  // The warning is at the manifest's port, which is line 4, column 11 in each manifest here.
  const auto check_warning = [&](const std::string& yaml, const std::string& message) {
    const auto result = fx.load(yaml);
    const Diagnostic& d = only_diagnostic(result);
    check_at(d, "config-port-missing", 4, 11, message, Severity::warning);
    CHECK(d.where.file == fx.manifest_path());
  };

  SECTION("the default file: the profile's cli as the user types it") {
    fx.write("home/.openclaw-main/openclaw.json", "{\"agents\": {}}\n");
    check_warning("version: 1\nprofiles:\n  main:\n    port: 18789\n    command: [openclaw, gateway]\n",
                  missing(main_config(fx)) +
                      "run openclaw --profile main config set gateway.port 18789 --strict-json");
  }
  SECTION("a null gateway.port is missing too; placeholders of cli are expanded, odd words quoted") {
    fx.write("home/.openclaw-main/openclaw.json", "{\"gateway\": {\"port\": null}}\n");
    check_warning("version: 1\nprofiles:\n  main:\n    port: 18789\n"
                  "    cli: [/opt/open claw/bin/openclaw, --profile, \"{profile}\", --dev-port, \"{port}\"]\n",
                  missing(main_config(fx)) +
                      "run '/opt/open claw/bin/openclaw' --profile main --dev-port 18789 config set gateway.port 18789 "
                      "--strict-json");
  }
  SECTION("another file than the CLI's default: the command is pointed at it") {
    fx.write("configs/it's main.json", "{}\n");
    const std::string path = (fx.root() / "configs/it's main.json").string();
    check_warning("version: 1\nprofiles:\n  main:\n    port: 18789\n    config_path: \"configs/it's main.json\"\n"
                  "    command: [openclaw]\n",
                  missing(path) + "run OPENCLAW_CONFIG_PATH='" + fx.root().string() +
                      "/configs/it'\\''s main.json' openclaw --profile main config set gateway.port 18789 "
                      "--strict-json");
  }
  SECTION("the clawdbot layout's file is not where the openclaw CLI looks") {
    fx.write("home/.clawdbot-main/clawdbot.json", "{}\n");
    const std::string path = (fx.home() / ".clawdbot-main/clawdbot.json").string();
    check_warning("version: 1\nprofiles:\n  main:\n    port: 18789\n    layout: clawdbot\n    command: [openclaw]\n",
                  missing(path) + "run OPENCLAW_CONFIG_PATH=" + path +
                      " openclaw --profile main config set gateway.port 18789 --strict-json");
  }
  SECTION("cli: [] names the setting instead") {
    fx.write("home/.openclaw-main/openclaw.json", "{}\n");
    check_warning("version: 1\nprofiles:\n  main:\n    port: 18789\n    cli: []\n",
                  missing(main_config(fx)) + "add \"gateway\": {\"port\": 18789} to it");
  }
}

TEST_CASE("config-port-missing: not for a file that is not JSON, nor for a missing file",
          "[load][config-port-missing]") {
  ManifestFixture fx;
  fx.write("home/.openclaw-main/openclaw.json", "{\"browser\": }\n");
  const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n  other:\n    port: 19001\n");
  CHECK(only_diagnostic(result).code == "gateway-config-invalid");
}
