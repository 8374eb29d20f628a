#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/child_environment.h"

using namespace moltbot;
using namespace moltbot::config;

namespace {

Profile sample_profile() {
  Profile profile;
  profile.name = "rescue";
  profile.state_dir = "/home/op/.clawdbot-rescue";
  profile.config_path = "/home/op/.clawdbot-rescue/clawdbot.json";
  profile.ports.gateway = 19001;
  return profile;
}

}  // namespace

TEST_CASE("the child environment is built from scratch", "[child_environment]") {
  const Environment supervisor{
      {"PATH", "/usr/bin:/bin"},
      {"HOME", "/home/op"},
      {"LANG", "C.UTF-8"},
      {"CLAWDBOT_STATE_DIR", "/leaked"},
      {"CLAWDBOT_ANYTHING", "x"},
      {"MOLTBOT_CONFIG_PATH", "/leaked.json"},
      {"OPENCLAW_GATEWAY_PORT", "1"},
      {"OPENCLAW_SERVICE_KIND", "gateway"},
      {"NOTIFY_SOCKET", "/run/systemd/notify"},
      {"WATCHDOG_USEC", "1000"},
      {"WATCHDOG_PID", "1"},
      {"LISTEN_FDS", "2"},
      {"LISTEN_PID", "1"},
      {"LISTEN_FDNAMES", "a:b"},
      {"INVOCATION_ID", "abc"},
      {"JOURNAL_STREAM", "8:1234"},
      {"SYSTEMD_EXEC_PID", "1"},
      {"MAINPID", "1"},
      {"MANAGERPID", "1"},
      {"XPC_SERVICE_NAME", "ai.openclaw.gateway"},
      {"LAUNCH_JOB_LABEL", "ai.openclaw.gateway"},
      {"LAUNCH_JOB_NAME", "x"},
  };
  const ChildEnvironment child = child_environment(sample_profile(), supervisor);
  REQUIRE_FALSE(child.error);
  const Environment expected{
      {"PATH", "/usr/bin:/bin"},
      {"HOME", "/home/op"},
      {"LANG", "C.UTF-8"},
      {"CLAWDBOT_PROFILE", "rescue"},
      {"CLAWDBOT_STATE_DIR", "/home/op/.clawdbot-rescue"},
      {"CLAWDBOT_CONFIG_PATH", "/home/op/.clawdbot-rescue/clawdbot.json"},
      {"CLAWDBOT_GATEWAY_PORT", "19001"},
      {"MOLTBOT_PROFILE", "rescue"},
      {"MOLTBOT_STATE_DIR", "/home/op/.clawdbot-rescue"},
      {"MOLTBOT_CONFIG_PATH", "/home/op/.clawdbot-rescue/clawdbot.json"},
      {"MOLTBOT_GATEWAY_PORT", "19001"},
      {"OPENCLAW_PROFILE", "rescue"},
      {"OPENCLAW_STATE_DIR", "/home/op/.clawdbot-rescue"},
      {"OPENCLAW_CONFIG_PATH", "/home/op/.clawdbot-rescue/clawdbot.json"},
      {"OPENCLAW_GATEWAY_PORT", "19001"},
      {"OPENCLAW_NO_RESPAWN", "1"},
      {"NO_COLOR", "1"},  // the default openclaw layout
  };
  CHECK(child.env == expected);
}

TEST_CASE("the restart mode picks the gateway's restart variables; NO_COLOR follows the layout",
          "[child_environment]") {
  Profile profile = sample_profile();
  const ChildEnvironment external = child_environment(profile, Environment{}, RestartMode::external);
  CHECK(external.env.at("OPENCLAW_SUPERVISOR_MODE") == "external");
  CHECK(external.env.at("OPENCLAW_SERVICE_REPAIR_POLICY") == "external");
  CHECK_FALSE(external.env.contains("OPENCLAW_NO_RESPAWN"));
  const ChildEnvironment in_process = child_environment(profile, Environment{}, RestartMode::in_process);
  CHECK(in_process.env.at("OPENCLAW_NO_RESPAWN") == "1");
  CHECK_FALSE(in_process.env.contains("OPENCLAW_SUPERVISOR_MODE"));
  CHECK_FALSE(in_process.env.contains("OPENCLAW_SERVICE_REPAIR_POLICY"));

  CHECK(in_process.env.at("NO_COLOR") == "1");
  profile.env = {{"NO_COLOR", ""}};
  CHECK(child_environment(profile, Environment{}).env.at("NO_COLOR").empty());
  profile.env.clear();
  profile.layout = Layout::clawdbot;
  CHECK(child_environment(profile, Environment{{"NO_COLOR", "1"}}).env.at("NO_COLOR") == "1");  // inherited
  CHECK_FALSE(child_environment(profile, Environment{}).env.contains("NO_COLOR"));
}

TEST_CASE("env_file comes after the profile's identity, env after env_file", "[child_environment]") {
  moltbot::test::TempDir dir("moltbot-childenv");
  Profile profile = sample_profile();
  profile.env_file = dir.write("rescue.env", "TOKEN=from-file\nSHARED=from-file\nLANG=de_DE.UTF-8\n").string();
  profile.env = {{"SHARED", "from-env"}, {"EXTRA", "1"}};
  const ChildEnvironment child = child_environment(profile, Environment{{"LANG", "C"}, {"TOKEN", "inherited"}});
  REQUIRE_FALSE(child.error);
  CHECK(child.env.at("TOKEN") == "from-file");
  CHECK(child.env.at("LANG") == "de_DE.UTF-8");
  CHECK(child.env.at("SHARED") == "from-env");
  CHECK(child.env.at("EXTRA") == "1");
  CHECK(child.env.at("CLAWDBOT_PROFILE") == "rescue");
}

TEST_CASE("an unreadable or malformed env_file is an error and adds nothing", "[child_environment]") {
  moltbot::test::TempDir dir("moltbot-childenv");
  Profile profile = sample_profile();
  profile.env_file = (dir.path() / "missing.env").string();
  ChildEnvironment child = child_environment(profile, Environment{});
  CHECK(child.error == (dir.path() / "missing.env").string() + ": no such file");
  CHECK(child.env.at("OPENCLAW_NO_RESPAWN") == "1");

  profile.env_file = dir.write("bad.env", "GOOD=1\nbroken line\n").string();
  child = child_environment(profile, Environment{});
  CHECK(child.error == (dir.path() / "bad.env").string() + ":2: expected NAME=VALUE");
  CHECK(child.env.count("GOOD") == 0);
}

TEST_CASE("the profile's identity variables are recognised under all three names", "[child_environment]") {
  for (const char* name : {"CLAWDBOT_PROFILE", "MOLTBOT_STATE_DIR", "OPENCLAW_CONFIG_PATH", "CLAWDBOT_GATEWAY_PORT"}) {
    CHECK(is_profile_identity_variable(name));
    CHECK(identity_variable_advice(name) ==
          "is set by the supervisor from the profile (name, port, state_dir, config_path); set those fields instead");
  }
  for (const char* name : {"CLAWDBOT_TOKEN", "PROFILE", "OPENCLAW_PROFILES", "MOLTBOT_", "XCLAWDBOT_PROFILE",
                           "MOLTBOT_SUPERVISOR_MODE", "OPENCLAW_SUPERVISOR_MODES"})
    CHECK_FALSE(is_profile_identity_variable(name));
}

TEST_CASE("the restart mode's variables are the supervisor's too", "[child_environment]") {
  for (const char* name : {"OPENCLAW_NO_RESPAWN", "OPENCLAW_SUPERVISOR_MODE", "OPENCLAW_SERVICE_REPAIR_POLICY"}) {
    CHECK(is_profile_identity_variable(name));
    CHECK(identity_variable_advice(name) ==
          "is set by the supervisor from the gateway's restart-handoff support; set `cli: []` to force in-process "
          "restarts");
  }
}
