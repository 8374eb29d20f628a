// A resolved profile turned into what is exec'd: placeholders, argv[0] lookup, environment and
// working directory.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>

#include "moltbot/common/program_lookup.h"
#include "moltbot/gateway/launch_spec.h"
#include "moltbot/test/temp_dir.h"

using moltbot::Environment;
using moltbot::config::Profile;
using moltbot::gateway::expand_placeholders;
using moltbot::gateway::LaunchSpec;
using moltbot::gateway::LaunchSpecCache;
using moltbot::gateway::make_launch_spec;
using moltbot::resolve_program;
using moltbot::gateway::own_executable_dir;
using moltbot::test::TempDir;

namespace {

Profile rescue_profile() {
  Profile profile;
  profile.name = "rescue";
  profile.state_dir = "/srv/molt/.clawdbot-rescue";
  profile.config_path = "/srv/molt/.clawdbot-rescue/clawdbot.json";
  profile.workspace = "/srv/molt/clawd-rescue";
  profile.ports.gateway = 19001;
  profile.ports.browser_control = 19003;
  profile.ports.canvas = 19005;
  return profile;
}

std::filesystem::path make_executable(const TempDir& dir, const std::string& relative, unsigned mode = 0755) {
  auto path = dir.write(relative, "#!/bin/sh\n");
  ::chmod(path.c_str(), mode);
  return path;
}

}  // namespace

TEST_CASE("placeholders expand to the profile's values, and doubled braces are literal") {
  const Profile profile = rescue_profile();
  auto expand = [&](std::string_view text) { return expand_placeholders(text, profile); };
  CHECK(expand("{profile}").text == "rescue");
  CHECK(expand("--port={port}").text == "--port=19001");
  CHECK(expand("{state_dir}|{config_path}|{workspace}").text ==
        "/srv/molt/.clawdbot-rescue|/srv/molt/.clawdbot-rescue/clawdbot.json|/srv/molt/clawd-rescue");
  CHECK(expand("{browser_control_port},{canvas_port}").text == "19003,19005");
  CHECK(expand("{{\"port\": {port}}}").text == "{\"port\": 19001}");
  CHECK(expand("plain").text == "plain");

  CHECK(expand("{prot}").error->starts_with("unknown placeholder {prot} (known: {profile} {port}"));
  CHECK(*expand("{port").error == "unclosed '{' (write '{{' for a literal brace)");
  CHECK(*expand("port}").error == "stray '}' (write '}}' for a literal brace)");
}

TEST_CASE("argv[0] without a slash is looked up in PATH, then next to the running program") {
  TempDir first, second, fallback;
  make_executable(first, "not-executable", 0644);
  auto in_second = make_executable(second, "not-executable");
  auto tool = make_executable(second, "tool");
  auto fallback_tool = make_executable(fallback, "only-here");
  const Environment env{{"PATH", ":" + first.path().string() + ":" + second.path().string()}};

  CHECK(resolve_program("tool", env, fallback.path()) == tool.string());
  CHECK(resolve_program("not-executable", env, fallback.path()) == in_second.string());
  CHECK(resolve_program("only-here", env, fallback.path()) == fallback_tool.string());
  CHECK(resolve_program("./relative/tool", env, fallback.path()) == "./relative/tool");
  CHECK_FALSE(resolve_program("nowhere", env, fallback.path()));
  CHECK_FALSE(resolve_program("tool", Environment{}, fallback.path()));
}

TEST_CASE("make_launch_spec: argv, environment from scratch, working dir") {
  TempDir bin;
  auto gateway = make_executable(bin, "fake-gateway");
  Profile profile = rescue_profile();
  profile.command = {"fake-gateway", "--profile", "{profile}", "--port", "{port}"};
  profile.env = {{"EXTRA", "1"}, {"OPENCLAW_GATEWAY_TOKEN", "from-env-map"}};
  const Environment supervisor_env{{"PATH", bin.path().string()},
                                   {"HOME", "/root"},
                                   {"MOLTBOT_STATE_DIR", "/leaked/state"},
                                   {"OPENCLAW_GATEWAY_PORT", "1"},
                                   {"NOTIFY_SOCKET", "/run/systemd/notify"}};

  auto result = make_launch_spec(profile, supervisor_env);
  REQUIRE_FALSE(result.error);
  REQUIRE(result.spec);
  const auto& spec = *result.spec;
  CHECK(spec.argv == std::vector<std::string>{gateway.string(), "--profile", "rescue", "--port", "19001"});
  CHECK(spec.working_dir == "/srv/molt/.clawdbot-rescue");
  CHECK(spec.env.at("HOME") == "/root");
  CHECK(spec.env.at("EXTRA") == "1");
  CHECK(spec.env.at("OPENCLAW_GATEWAY_TOKEN") == "from-env-map");
  for (const char* prefix : {"CLAWDBOT_", "MOLTBOT_", "OPENCLAW_"}) {
    CHECK(spec.env.at(std::string(prefix) + "STATE_DIR") == "/srv/molt/.clawdbot-rescue");
    CHECK(spec.env.at(std::string(prefix) + "GATEWAY_PORT") == "19001");
  }
  CHECK(spec.env.at("OPENCLAW_NO_RESPAWN") == "1");
  CHECK_FALSE(spec.env.contains("NOTIFY_SOCKET"));

  SECTION("env_file values come before env") {
    TempDir secrets;
    auto file = secrets.write("rescue.env", "OPENCLAW_GATEWAY_TOKEN=from-file\nTELEGRAM=abc\n");
    profile.env_file = file.string();
    auto with_file = make_launch_spec(profile, supervisor_env);
    REQUIRE(with_file.spec);
    CHECK(with_file.spec->env.at("TELEGRAM") == "abc");
    CHECK(with_file.spec->env.at("OPENCLAW_GATEWAY_TOKEN") == "from-env-map");
  }
  SECTION("errors name the profile and what is wrong") {
    profile.env_file = "/nonexistent/rescue.env";
    auto missing_file = make_launch_spec(profile, supervisor_env);
    CHECK_FALSE(missing_file.spec);
    CHECK(missing_file.error->starts_with("profile \"rescue\": /nonexistent/rescue.env"));

    profile.env_file.reset();
    profile.command = {"fake-gateway", "--port", "{gateway_port}"};
    CHECK(make_launch_spec(profile, supervisor_env).error->starts_with(
        "profile \"rescue\": command argument 3 \"{gateway_port}\": unknown placeholder {gateway_port}"));

    profile.command = {"no-such-program"};
    CHECK(make_launch_spec(profile, supervisor_env).error->starts_with(
        "profile \"rescue\": command \"no-such-program\" not found in PATH (" + bin.path().string() + ")"));

    profile.command.clear();
    CHECK(*make_launch_spec(profile, supervisor_env).error == "profile \"rescue\": command is empty");
  }
}

TEST_CASE("the values of --token and --password are the command's secrets, in both forms") {
  using moltbot::gateway::command_line_secrets;
  CHECK(command_line_secrets({"gw", "--token", "tok-1", "--port", "18789", "--password", "pw-2"}) ==
        std::vector<std::string>{"tok-1", "pw-2"});
  CHECK(command_line_secrets({"gw", "--token=tok-1", "--password=pw=with=equals"}) ==
        std::vector<std::string>{"tok-1", "pw=with=equals"});
  CHECK(command_line_secrets({"gw", "--tokens", "x", "--token-file", "/run/t", "token", "y", "--token"}).empty());
  CHECK(command_line_secrets({"gw", "--token=", "--passwordx=y"}) == std::vector<std::string>{""});
  CHECK(command_line_secrets({}).empty());
}

TEST_CASE("make_launch_spec: secrets from env_file, secret-named env and the command line, after expansion") {
  TempDir dir;
  auto gateway = make_executable(dir, "fake-gateway");
  Profile profile = rescue_profile();
  profile.command = {gateway.string(), "--token", "tok-{profile}-{port}", "--password={{literal}}"};
  profile.env = {{"API_KEY", "env-key-value"}, {"LOG_LEVEL", "info"}};
  profile.env_file = dir.write("rescue.env", "GATEWAY_AUTH=file-secret\n").string();
  auto result = make_launch_spec(profile, Environment{});
  REQUIRE(result.spec);
  auto secrets = result.spec->secrets;
  std::sort(secrets.begin(), secrets.end());
  CHECK(secrets == std::vector<std::string>{"env-key-value", "file-secret", "tok-rescue-19001", "{literal}"});

  SECTION("an error about a secret argument does not quote it") {
    profile.command = {gateway.string(), "--token", "tok-{nope}", "--password=pw{"};
    CHECK(*make_launch_spec(profile, Environment{}).error ==
          "profile \"rescue\": command argument 3 (a secret): unknown placeholder {nope} (known: {profile} {port} "
          "{state_dir} {config_path} {workspace} {browser_control_port} {canvas_port}; write '{{' for a literal brace)");
    profile.command = {gateway.string(), "--password=pw{"};
    CHECK(*make_launch_spec(profile, Environment{}).error ==
          "profile \"rescue\": command argument 2 (a secret): unclosed '{' (write '{{' for a literal brace)");
  }
}

TEST_CASE("make_launch_spec finds moltbot-gateway next to the running program when PATH lacks it") {
  // Every program of the build lands in one bin/ folder, as in an install prefix.
  const std::filesystem::path built_gateway = MOLTBOT_GATEWAY_BIN;
  REQUIRE(own_executable_dir() == built_gateway.parent_path());
  Profile profile = rescue_profile();
  profile.command = {"moltbot-gateway", "--profile", "{profile}", "--port", "{port}"};
  auto result = make_launch_spec(profile, Environment{{"PATH", "/nonexistent"}});
  REQUIRE(result.spec);
  CHECK(result.spec->argv[0] == built_gateway.string());
}

TEST_CASE("repeated starts: env_file is read and a bare command looked up again each time, the rest kept") {
  TempDir early, late, secrets;
  auto late_gateway = make_executable(late, "fake-gateway");
  auto env_file = secrets.write("rescue.env", "TOKEN=first\n");
  Profile profile = rescue_profile();
  profile.command = {"fake-gateway", "--port", "{port}"};
  profile.env = {{"EXTRA", "1"}};
  profile.env_file = env_file.string();
  const Environment supervisor_env{{"PATH", early.path().string() + ":" + late.path().string()}, {"HOME", "/root"}};
  LaunchSpecCache cache(profile, supervisor_env);
  auto next_spec = [&]() -> const LaunchSpec& {
    auto launch = cache.next(moltbot::config::RestartMode::in_process);
    REQUIRE(std::holds_alternative<LaunchSpec*>(launch));
    return *std::get<LaunchSpec*>(launch);
  };
  // Whatever the cache keeps, each start gets what make_launch_spec would build right then.
  auto check_as_made_now = [&](const LaunchSpec& spec) {
    auto made = make_launch_spec(profile, supervisor_env);
    REQUIRE(made.spec);
    CHECK(spec.argv == made.spec->argv);
    CHECK(spec.env == made.spec->env);
    CHECK(spec.working_dir == made.spec->working_dir);
    CHECK(spec.secrets == made.spec->secrets);
  };

  const auto& first = next_spec();
  CHECK(first.argv == std::vector<std::string>{late_gateway.string(), "--port", "19001"});
  CHECK(first.env.at("TOKEN") == "first");
  CHECK(first.env.at("EXTRA") == "1");
  check_as_made_now(first);

  // A rotated secret and an upgrade that put the program earlier in PATH count from the next start.
  secrets.write("rescue.env", "TOKEN=second\n");
  auto early_gateway = make_executable(early, "fake-gateway");
  const auto& second = next_spec();
  CHECK(second.argv[0] == early_gateway.string());
  CHECK(second.env.at("TOKEN") == "second");
  CHECK(second.secrets == std::vector<std::string>{"second", "second"});  // from the file, and by its name
  check_as_made_now(second);

  // An env_file that went missing fails that start, named; the next start after it is back works.
  std::filesystem::remove(env_file);
  auto failed = cache.next(moltbot::config::RestartMode::in_process);
  REQUIRE(std::holds_alternative<std::string>(failed));
  CHECK(std::get<std::string>(failed).starts_with("profile \"rescue\": " + env_file.string()));
  secrets.write("rescue.env", "TOKEN=third\n");
  CHECK(next_spec().env.at("TOKEN") == "third");

  SECTION("a command error fails every start alike") {
    Profile broken_profile = profile;
    broken_profile.command = {"fake-gateway", "{nope}"};
    LaunchSpecCache broken(broken_profile, supervisor_env);
    for (int start = 0; start < 2; ++start) {
      auto launch = broken.next(moltbot::config::RestartMode::in_process);
      REQUIRE(std::holds_alternative<std::string>(launch));
      CHECK(std::get<std::string>(launch).starts_with("profile \"rescue\": command argument 2 \"{nope}\""));
    }
  }
  SECTION("an absolute command is used as written") {
    Profile absolute_profile = profile;
    absolute_profile.command = {late_gateway.string(), "--profile", "{profile}"};
    absolute_profile.env_file.reset();
    LaunchSpecCache absolute(absolute_profile, supervisor_env);
    for (int start = 0; start < 2; ++start) {
      auto launch = absolute.next(moltbot::config::RestartMode::in_process);
      REQUIRE(std::holds_alternative<LaunchSpec*>(launch));
      const auto& spec = *std::get<LaunchSpec*>(launch);
      CHECK(spec.argv == std::vector<std::string>{late_gateway.string(), "--profile", "rescue"});
      CHECK_FALSE(spec.env.contains("TOKEN"));
      CHECK(spec.env == make_launch_spec(absolute_profile, supervisor_env).spec->env);
      std::get<LaunchSpec*>(launch)->env = {};  // taken by the spawn, as ProfileProcess does
    }
  }
}
