// `moltbot-supervisord export` run as a process: it checks first, with check's diagnostics and
// exit statuses (on stderr: stdout is the objects), refuses what the target cannot express with
// exit 1 and nothing on stdout, and prints the objects otherwise.
#include <catch2/catch.hpp>

#include <cstdlib>

#include <yaml-cpp/yaml.h>

#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"

using moltbot::test::ProcessResult;
using moltbot::test::TempDir;

namespace {

ProcessResult supervisord(const TempDir& dir, std::vector<std::string> args) {
  moltbot::test::ProcessRun run;
  run.argv.push_back(MOLTBOT_SUPERVISORD_BIN);
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env = {{"HOME", (dir.path() / "home").string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  run.cwd = dir.path().string();
  auto result = moltbot::test::run_process(run);
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.signal == 0);
  return result;
}

}  // namespace

TEST_CASE("export: a valid fleet prints one YAML document per object", "[cli][export]") {
  TempDir dir;
  dir.write("fleet.yaml", "version: 1\nprofiles:\n  main: {port: 21789}\n  rescue: {role: rescue, port: 22001}\n");
  auto result = supervisord(dir, {"export", "--namespace", "bots", "--image", "reg/gw:1", "fleet.yaml"});
  CHECK(result.exit_code == 0);
  const auto documents = YAML::LoadAll(result.out);
  REQUIRE(documents.size() == 6);  // 2 PriorityClasses, a Service and a StatefulSet per profile
  CHECK(documents[3]["kind"].as<std::string>() == "StatefulSet");
  CHECK(documents[3]["metadata"]["namespace"].as<std::string>() == "bots");
  CHECK(documents[3]["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>() == "reg/gw:1");
  CHECK(result.err.find("note[export-bind]") != std::string::npos);

  auto podman = supervisord(dir, {"export", "--format", "podman", "fleet.yaml"});
  CHECK(podman.exit_code == 0);
  CHECK(YAML::LoadAll(podman.out).size() == 2);
}

TEST_CASE("export: an invalid manifest gets check's diagnostics and exit status", "[cli][export]") {
  TempDir dir;
  dir.write("fleet.yaml", "version: 1\nprofiles:\n  main: {port: 18789}\n  rescue: {role: rescue, port: 18809}\n");
  auto checked = supervisord(dir, {"check", "fleet.yaml"});
  auto exported = supervisord(dir, {"export", "fleet.yaml"});
  CHECK(checked.exit_code == 1);
  CHECK(exported.exit_code == 1);
  CHECK(exported.err == checked.out);
  CHECK(exported.out.empty());

  auto missing = supervisord(dir, {"export", "absent.yaml"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.starts_with("absent.yaml: error: "));
  CHECK(supervisord(dir, {"export", "--format", "nomad", "fleet.yaml"}).exit_code == 2);
}

TEST_CASE("export: what the target cannot express exits 1 with file:line and no objects", "[cli][export]") {
  TempDir dir;
  dir.write("fleet.yaml",
            "version: 1\nprofiles:\n  Main:\n    port: 21789\n  tokened:\n    port: 22001\n"
            "    command: [moltbot-gateway, --port, \"{port}\", --token, s3cret-value]\n");
  auto result = supervisord(dir, {"export", "fleet.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err.find("fleet.yaml:3:3: error[export-name]: profile \"Main\"") != std::string::npos);
  CHECK(result.err.find("fleet.yaml:7:14: error[export-inline-secret]") != std::string::npos);
  CHECK(result.err.find("s3cret-value") == std::string::npos);
}

TEST_CASE("export: --format podman-secret prints the JSON podman secret create reads", "[cli][export]") {
  TempDir dir;
  dir.write("main.env", "OPENCLAW_GATEWAY_TOKEN=abc\n");
  dir.write("fleet.yaml", "version: 1\nprofiles:\n  main: {port: 21789, env_file: main.env}\n  other: {port: 22001}\n");
  auto result = supervisord(dir, {"export", "--format", "podman-secret", "--profile", "main", "fleet.yaml"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "{\"OPENCLAW_GATEWAY_TOKEN\":\"YWJj\"}\n");
  CHECK(supervisord(dir, {"export", "--format", "podman-secret", "--profile", "other", "fleet.yaml"}).exit_code == 1);
  CHECK(supervisord(dir, {"export", "--format", "podman-secret", "--profile", "nobody", "fleet.yaml"}).exit_code == 2);
}
