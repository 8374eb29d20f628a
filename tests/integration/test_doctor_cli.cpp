// `moltbot-supervisord doctor` run as a process against a scratch host: a HOME, unit folders and
// ports of the test's own. Each case checks the text checklist and the JSON of the same run.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moltbot/test/ports.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/system_account.h"
#include "moltbot/test/temp_dir.h"
#include "supervisor_fixture.h"

namespace fs = std::filesystem;
using moltbot::test::ProcessResult;
using moltbot::test::TempDir;
using nlohmann::json;

namespace {

// A host of the test's own: HOME, system and user unit folders, a manifest whose main profile
// uses the documented pair's paths (~/.clawdbot-main, config in ~/.clawdbot) on a free port block.
// Run as root, the gateway would run as a user of its own whose home is HOME, as a clean root host
// has it (a gateway run as root is a warning).
struct ScratchHost {
  TempDir dir{"moltbot-doctor-test"};
  int port = moltbot::test::find_free_port_block();
  fs::path home = dir.path() / "home";
  fs::path system_units = dir.path() / "system";
  fs::path user_units = dir.path() / "user";
  std::optional<moltbot::test::SystemUser> gateway_user;

  ScratchHost() {
    for (const fs::path& folder : {home / ".clawdbot-main", home / ".clawdbot", system_units, user_units})
      fs::create_directories(folder);
    if (moltbot::test::running_as_root()) gateway_user.emplace(std::vector<const moltbot::test::SystemGroup*>{},
                                                               home.string());
    dir.write("fleet.yaml", "version: 1\nprofiles:\n  main:\n    port: " + std::to_string(port) +
                                "\n    state_dir: ~/.clawdbot-main\n    config_path: ~/.clawdbot/main.json\n" + user_line());
  }

  // "    user: NAME\n" for a profile of this host's manifests; nothing when not root.
  std::string user_line() const { return gateway_user ? "    user: " + gateway_user->name() + "\n" : ""; }
};

struct DoctorRun {
  ProcessResult text;
  ProcessResult json_run;
  json document;
};

ProcessResult run_doctor(const ScratchHost& host, std::vector<std::string> args, const fs::path& manifest) {
  moltbot::test::ProcessRun run;
  run.argv = {MOLTBOT_SUPERVISORD_BIN, "doctor", "--system-unit-dir", host.system_units.string(), "--user-unit-dir",
              host.user_units.string()};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.argv.push_back(manifest.string());
  run.env = {{"HOME", host.home.string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  auto result = moltbot::test::run_process(run);
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.signal == 0);
  CHECK(result.err.empty());
  return result;
}

// The text checklist and the JSON of the same host, both checked for the same exit status.
DoctorRun doctor(const ScratchHost& host, const fs::path& manifest) {
  DoctorRun run{run_doctor(host, {}, manifest), run_doctor(host, {"--json"}, manifest), nullptr};
  CHECK(run.text.exit_code == run.json_run.exit_code);
  run.document = json::parse(run.json_run.out);
  return run;
}

DoctorRun doctor(const ScratchHost& host) { return doctor(host, host.dir.path() / "fleet.yaml"); }

const json& check_named(const json& document, const std::string& check) {
  for (const json& item : document["checks"])
    if (item["check"] == check) return item;
  FAIL("no check " << check << " in " << document.dump());
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("doctor: a clean host passes every check and exits 0", "[cli][doctor]") {
  ScratchHost host;
  auto run = doctor(host);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 0);
  CHECK(run.text.out.find("[ok]   ports of profile \"main\": 105 ports free\n") != std::string::npos);
  CHECK(run.text.out.find("[ok]   gateway units of other service managers: none in 2 unit folders\n") != std::string::npos);
  CHECK(run.text.out.find("[ok]   gateway state dirs missing from the manifest: none in " + host.home.string()) !=
        std::string::npos);
  CHECK(run.text.out.ends_with("no problems found\n"));
  CHECK(run.text.out.find("[FAIL]") == std::string::npos);
  CHECK(run.text.out.find("[WARN]") == std::string::npos);

  CHECK(run.document["ok"] == true);
  CHECK(run.document["errors"] == 0);
  CHECK(run.document["warnings"] == 0);
  std::vector<std::string> checks;
  for (const json& item : run.document["checks"]) {
    checks.push_back(item["check"]);
    CHECK(item["status"] == "ok");
    CHECK(item["findings"].empty());
  }
  CHECK(checks ==
        std::vector<std::string>{"manifest", "directories", "ports", "units", "users", "state-dirs", "limits"});
  CHECK(check_named(run.document, "ports")["holders"].empty());
}

TEST_CASE("doctor: a foreign listener on a footprint port is named with its pid and exits 1", "[cli][doctor]") {
  ScratchHost host;
  const int cdp_port = host.port + 11;  // first port of the CDP range
  moltbot::test::ListeningSocket gateway_port(host.port);
  moltbot::test::ListeningSocket cdp(cdp_port);
  const std::string me = std::to_string(::getpid());

  auto run = doctor(host);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 1);
  CHECK(run.text.out.find("[FAIL] ports of profile \"main\": 2 of 105 ports taken\n") != std::string::npos);
  CHECK(run.text.out.find("- port " + std::to_string(host.port) + " (gateway) is held by pid " + me + " (") !=
        std::string::npos);
  CHECK(run.text.out.find("- port " + std::to_string(cdp_port) + " (CDP range) is held by pid " + me) !=
        std::string::npos);
  CHECK(run.text.out.find("fix: stop pid " + me) != std::string::npos);
  CHECK(run.text.out.ends_with("2 errors, 0 warnings\n"));

  CHECK(run.document["ok"] == false);
  CHECK(run.document["errors"] == 2);
  const json& ports = check_named(run.document, "ports");
  CHECK(ports["status"] == "error");
  CHECK(ports["profile"] == "main");
  REQUIRE(ports["findings"].size() == 2);
  const json& finding = ports["findings"][0];
  CHECK(finding["code"] == "port-taken");
  CHECK(finding["severity"] == "error");
  CHECK(finding["port"] == host.port);
  CHECK(finding["use"] == "gateway");
  CHECK(finding["pid"] == ::getpid());
  CHECK(finding["process"].is_string());
  CHECK_FALSE(finding["fix"].get<std::string>().empty());
  REQUIRE(ports["holders"].size() == 2);
  CHECK(ports["holders"][1]["port"] == cdp_port);
  CHECK(ports["holders"][1]["own"] == false);
}

TEST_CASE("doctor: gateway unit files of another service manager are listed with a fix", "[cli][doctor]") {
  ScratchHost host;
  // An enabled system unit (an error: it starts at boot) and a disabled user template (a warning).
  host.dir.write("system/openclaw-gateway.service", "[Service]\nExecStart=/usr/bin/openclaw gateway\n");
  fs::create_directories(host.system_units / "multi-user.target.wants");
  fs::create_symlink("../openclaw-gateway.service", host.system_units / "multi-user.target.wants/openclaw-gateway.service");
  host.dir.write("user/clawdbot-gateway@.service", "[Service]\nExecStart=/usr/bin/clawdbot gateway\n");
  // Neither a masked unit nor an unrelated one is a finding.
  fs::create_symlink("/dev/null", host.system_units / "moltbot-gateway.service");
  host.dir.write("system/nginx.service", "[Service]\n");

  auto run = doctor(host);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 1);
  const std::string system_path = (host.system_units / "openclaw-gateway.service").string();
  CHECK(run.text.out.find("[FAIL] gateway units of other service managers: 2 found\n") != std::string::npos);
  CHECK(run.text.out.find("- system unit openclaw-gateway.service (" + system_path + "): enabled, active: ") !=
        std::string::npos);
  CHECK(run.text.out.find("fix: systemctl disable --now openclaw-gateway.service") != std::string::npos);
  CHECK(run.text.out.find("- user unit clawdbot-gateway@.service") != std::string::npos);
  CHECK(run.text.out.find("fix: systemctl --user disable --now clawdbot-gateway@") != std::string::npos);
  CHECK(run.text.out.find("moltbot-gateway.service") == std::string::npos);
  CHECK(run.text.out.find("nginx") == std::string::npos);
  CHECK(run.text.out.ends_with("1 error, 1 warning\n"));

  const json& units = check_named(run.document, "units");
  CHECK(units["status"] == "error");
  CHECK(units["searched"] == json::array({host.system_units.string(), host.user_units.string()}));
  REQUIRE(units["findings"].size() == 2);
  const json& system_unit = units["findings"][0];
  CHECK(system_unit["code"] == "gateway-unit");
  CHECK(system_unit["severity"] == "error");
  CHECK(system_unit["unit"] == "openclaw-gateway.service");
  CHECK(system_unit["path"] == system_path);
  CHECK(system_unit["scope"] == "system");
  CHECK(system_unit["enabled"] == true);
  CHECK(system_unit["active"].is_string());
  const json& user_unit = units["findings"][1];
  CHECK(user_unit["severity"] == "warning");
  CHECK(user_unit["scope"] == "user");
  CHECK(user_unit["enabled"] == false);
}

TEST_CASE("doctor: a gateway state dir missing from the manifest is a warning, exit 0", "[cli][doctor]") {
  ScratchHost host;
  fs::create_directories(host.home / ".openclaw-old");
  fs::create_directories(host.home / ".moltbot");
  // Not state dirs: a file with such a name, and a name no gateway profile can have.
  host.dir.write("home/.clawdbot-notes", "a file\n");
  fs::create_directories(host.home / ".clawdbot-a.b");

  auto run = doctor(host);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 0);
  const std::string stray = (host.home / ".openclaw-old").string();
  CHECK(run.text.out.find("[WARN] gateway state dirs missing from the manifest: 2 found\n") != std::string::npos);
  CHECK(run.text.out.find("- " + stray + " is the state dir of a gateway profile \"old\"") != std::string::npos);
  CHECK(run.text.out.find("fix: add profile \"old\" to ") != std::string::npos);
  CHECK(run.text.out.find("profile \"default\"") != std::string::npos);  // ~/.moltbot
  // The manifest's own state dir and config folder are not strays.
  CHECK(run.text.out.find(".clawdbot-main is") == std::string::npos);
  CHECK(run.text.out.find(".clawdbot is") == std::string::npos);
  CHECK(run.text.out.find("notes") == std::string::npos);
  CHECK(run.text.out.ends_with("0 errors, 2 warnings\n"));

  CHECK(run.document["ok"] == true);
  CHECK(run.document["warnings"] == 2);
  const json& dirs = check_named(run.document, "state-dirs");
  CHECK(dirs["status"] == "warning");
  REQUIRE(dirs["findings"].size() == 2);
  CHECK(dirs["findings"][0]["code"] == "stray-state-dir");
  CHECK(dirs["findings"][0]["path"] == (host.home / ".moltbot").string());
  CHECK(dirs["findings"][0]["suggested_profile"] == "default");
  CHECK(dirs["findings"][1]["path"] == stray);
  CHECK(dirs["findings"][1]["suggested_profile"] == "old");
}

TEST_CASE("doctor: an invalid manifest is an error, and the other checks still run", "[cli][doctor]") {
  ScratchHost host;
  host.dir.write("overlap.yaml", "version: 1\nprofiles:\n  main:\n    port: " + std::to_string(host.port) + "\n" +
                                     host.user_line() + "  other:\n    port: " + std::to_string(host.port + 20) +
                                     "\n" + host.user_line());
  auto run = doctor(host, host.dir.path() / "overlap.yaml");
  INFO(run.text.out);
  CHECK(run.text.exit_code == 1);
  CHECK(run.text.out.find("[FAIL] manifest ") != std::string::npos);
  CHECK(run.text.out.find(" errors and 0 warnings\n") != std::string::npos);
  CHECK(run.text.out.find("fix: `moltbot-supervisord check ") != std::string::npos);
  CHECK(run.text.out.find("ports of profile \"other\"") != std::string::npos);
  const json& manifest = check_named(run.document, "manifest");
  REQUIRE(manifest["findings"].size() == 1);
  CHECK(manifest["findings"][0]["code"] == "manifest-invalid");
  CHECK(manifest["findings"][0]["errors"] > 1);
}

TEST_CASE("doctor: a gateway a root supervisor would run as root is a warning with the fix", "[cli][doctor]") {
  if (!moltbot::test::running_as_root()) {
    WARN("skipped: the warning is a root supervisor's");
    return;
  }
  ScratchHost host;
  host.dir.write("root.yaml", "version: 1\nprofiles:\n  main:\n    port: " + std::to_string(host.port) + "\n");
  auto run = doctor(host, host.dir.path() / "root.yaml");
  INFO(run.text.out);
  CHECK(run.text.exit_code == 0);
  CHECK(run.text.out.find("[WARN] users the gateways run as: 1 of 1 gateways would run as root\n") !=
        std::string::npos);
  CHECK(run.text.out.find("the gateway of profile \"main\" would run as root") != std::string::npos);
  const json& users = check_named(run.document, "users");
  REQUIRE(users["findings"].size() == 1);
  CHECK(users["findings"][0]["code"] == "gateway-runs-as-root");
  CHECK(users["findings"][0]["severity"] == "warning");
  CHECK(users["findings"][0]["profile"] == "main");
  CHECK(users["users"]["main"] == "root");
}

TEST_CASE("doctor: an unreadable manifest exits 2 like check", "[cli][doctor]") {
  ScratchHost host;
  auto result = run_doctor(host, {}, host.dir.path() / "missing.yaml");
  CHECK(result.exit_code == 2);
  CHECK(result.out == (host.dir.path() / "missing.yaml").string() + ": error: no such file\n");
}

TEST_CASE("doctor: a running fleet's own gateway on its ports is fine", "[cli][doctor]") {
  moltbot::test::SupervisorFixture fleet({{"main", moltbot::test::main_profile()}});
  fleet.start_supervisor();
  const pid_t gateway = fleet.running_pid("main");
  REQUIRE(gateway > 0);

  ScratchHost host;
  auto run = doctor(host, fleet.manifest);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 0);
  CHECK(run.text.out.find("[ok]   ports of profile \"main\": ") != std::string::npos);
  CHECK(run.text.out.find("held by its own gateway (supervisor pid " + std::to_string(fleet.supervisor().pid()) +
                          ")") != std::string::npos);
  const json& ports = check_named(run.document, "ports");
  REQUIRE_FALSE(ports["holders"].empty());
  CHECK(ports["holders"][0]["port"] == fleet.ports.at("main"));
  CHECK(ports["holders"][0]["pid"] == gateway);
  CHECK(ports["holders"][0]["own"] == true);
}

TEST_CASE("doctor: a state dir another user owns is an error at the manifest line that names it", "[cli][doctor]") {
  ScratchHost host;
  const fs::path state = host.home / ".clawdbot-main";
  REQUIRE(::chown(state.c_str(), 65534, 65534) == 0);
  auto run = doctor(host);
  INFO(run.text.out);
  CHECK(run.text.exit_code == 1);
  const std::string where = (host.dir.path() / "fleet.yaml").string() + ":5:16: ";
  // The workspace (by default inside the state dir) is named too, at the profile.
  CHECK(run.text.out.find("[FAIL] folders the supervisor writes into: 2 that other users may write or own\n") !=
        std::string::npos);
  CHECK(run.text.out.find(where + "profile \"main\": field \"state_dir\": " + state.string() +
                          " (owner uid 65534, group gid 65534, mode 0755) is owned by another user") != std::string::npos);
  const json& directories = check_named(run.document, "directories");
  REQUIRE(directories["findings"].size() == 2);
  CHECK(directories["findings"][1]["code"] == "untrusted-dir");
  CHECK(directories["findings"][1]["line"] == 5);
  CHECK(directories["findings"][1]["column"] == 16);
  CHECK(directories["findings"][1]["profile"] == "main");
}
