#include <catch2/catch.hpp>
#include <set>

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

TEST_CASE("secrets: every env_file value and every variable named as a secret", "[child_environment]") {
  moltbot::test::TempDir dir("moltbot-childenv");
  Profile profile = sample_profile();
  profile.env_file = dir.write("rescue.env", "GATEWAY_AUTH=file-secret-1\nLOG_LEVEL=debug\nSHARED=overridden-by-env\n").string();
  profile.env = {{"SHARED", "from-env"},  {"API_KEY", "env-key-value"}, {"db_password", "env-password"},
                 {"MyToken", "env-token"}, {"CLIENT_SECRET", "env-client"}, {"LOG_FORMAT", "plain-text"}};
  const ChildEnvironment child =
      child_environment(profile, Environment{{"GITHUB_TOKEN", "inherited-token"}, {"LANG", "C.UTF-8"}});
  REQUIRE_FALSE(child.error);
  std::set<std::string> secrets(child.secrets.begin(), child.secrets.end());
  // The file's values whatever their names (also one env overrides, also short ones: the redactor
  // decides what is too short to hide), and the secret-named variables from wherever they came.
  CHECK(secrets == std::set<std::string>{"file-secret-1", "debug", "overridden-by-env", "env-key-value", "env-password",
                                         "env-token", "env-client", "inherited-token"});
}

TEST_CASE("secrets: names containing TOKEN, SECRET, PASSWORD or KEY, in any case", "[child_environment]") {
  for (const char* name : {"TOKEN", "OPENCLAW_GATEWAY_TOKEN", "api_key", "ApiKey", "KEYRING", "DB_PASSWORD",
                           "client_secret", "Slack_Bot_Token", "monkey"})
    CHECK(is_secret_name(name));
  for (const char* name : {"", "PATH", "LOG_LEVEL", "PASSWD", "TOKE", "KE_Y", "SECRE", "PASS_WORD", "NO_COLOR"})
    CHECK_FALSE(is_secret_name(name));
}

TEST_CASE("secrets: none from an env_file that cannot be read", "[child_environment]") {
  moltbot::test::TempDir dir("moltbot-childenv");
  Profile profile = sample_profile();
  profile.env_file = dir.write("bad.env", "GOOD=first-value\nbroken line\n").string();
  const ChildEnvironment child = child_environment(profile, Environment{});
  REQUIRE(child.error);
  CHECK(child.secrets.empty());
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
