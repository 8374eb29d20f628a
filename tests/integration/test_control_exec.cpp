// `moltbot-supervisorctl exec PROFILE -- COMMAND`: the command runs as the ctl process itself,
// with exactly the environment the profile's gateway got, and the `exec-environment` request
// behind it, against the real daemon running a bundled gateway.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

constexpr const char* secret = "s3cr3t-from-env-file-7d1f";

// A fleet of one profile `main` whose env_file holds a secret and whose PATH has a folder of its
// own (with a `profile-tool` script in it) in front, running.
struct ExecFleet {
  ExecFleet() : fleet(Profiles{}) {
    env_file = fleet.dir.write_private("main.env", std::string("GATEWAY_TOKEN=") + secret + "\n");
    tools = fleet.dir.path() / "tools";
    const auto tool = fleet.dir.write("tools/profile-tool", "#!/bin/sh\necho \"profile-tool $OPENCLAW_PROFILE\"\n");
    std::filesystem::permissions(tool, std::filesystem::perms::owner_all);
    const std::string path = json(tools.string() + ":/usr/bin:/bin").dump();
    fleet.write_manifest(Profiles{
        {"main", main_profile({}, {{"env_file", json(env_file.string()).dump()}, {"env", "{PATH: " + path + "}"}})}});
    SupervisorLaunch launch;
    launch.env = {{"FROM_THE_SUPERVISOR", "passed on"}};
    fleet.start_supervisor(launch);
    REQUIRE(fleet.running_pid("main") > 0);
    REQUIRE(wait_control_socket(fleet));
  }

  ProcessResult exec(const std::vector<std::string>& command, std::optional<std::string> cwd = std::nullopt) {
    std::vector<std::string> args{"--socket", fleet.control_socket().string(), "exec", "main", "--"};
    args.insert(args.end(), command.begin(), command.end());
    return run_supervisorctl(args, std::move(cwd));
  }

  SupervisorFixture fleet;
  std::filesystem::path env_file;
  std::filesystem::path tools;
};

// NAME=VALUE entries of a NUL-separated environment block (/proc/PID/environ).
std::set<std::string> environment_entries(const std::string& block) {
  std::set<std::string> entries;
  std::istringstream in(block);
  for (std::string entry; std::getline(in, entry, '\0');)
    if (!entry.empty()) entries.insert(entry);
  return entries;
}

std::string state_dir(const SupervisorFixture& fleet) { return (fleet.dir.path() / "main/state").string(); }

}  // namespace

TEST_CASE("exec runs the command with exactly the environment of the profile's gateway") {
  ExecFleet running;
  auto& fleet = running.fleet;
  const pid_t gateway = fleet.running_pid("main");

  auto result = running.exec({"cat", "/proc/self/environ"});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const auto entries = environment_entries(result.out);
  // All but the marker of the processes the supervisor started (docs/supervisor.md, "Process
  // tracking"): the command is the operator's, not the profile's.
  auto gateway_entries = environment_entries(read_file("/proc/" + std::to_string(gateway) + "/environ"));
  CHECK(std::erase_if(gateway_entries, [](const std::string& entry) {
          return entry.starts_with("MOLTBOT_SUPERVISOR_PROFILE=") || entry.starts_with("MOLTBOT_SUPERVISOR_INSTANCE=");
        }) == 2);
  CHECK(entries == gateway_entries);

  const std::string port = std::to_string(fleet.ports.at("main"));
  for (const char* prefix : {"OPENCLAW_", "CLAWDBOT_", "MOLTBOT_"}) {
    CHECK(entries.contains(prefix + std::string("PROFILE=main")));
    CHECK(entries.contains(prefix + std::string("STATE_DIR=") + state_dir(fleet)));
    CHECK(entries.contains(prefix + std::string("CONFIG_PATH=") + state_dir(fleet) + "/clawdbot.json"));
    CHECK(entries.contains(prefix + std::string("GATEWAY_PORT=") + port));
  }
  CHECK(entries.contains(std::string("GATEWAY_TOKEN=") + secret));
  CHECK(entries.contains("FROM_THE_SUPERVISOR=passed on"));
  CHECK(entries.contains("PATH=" + running.tools.string() + ":/usr/bin:/bin"));

  // The secret went to the caller, and nowhere else.
  CHECK(fleet.supervisor().err().find(secret) == std::string::npos);
  CHECK(fleet.profile_log("main").find(secret) == std::string::npos);
}

TEST_CASE("exec expands placeholders and passes everything after -- as it is") {
  ExecFleet running;
  auto& fleet = running.fleet;
  auto expanded = running.exec({"echo", "{port}", "{state_dir}", "{profile}", "{config_path}", "{{literal}}"});
  CHECK(expanded.exit_code == 0);
  CHECK(expanded.out == std::to_string(fleet.ports.at("main")) + " " + state_dir(fleet) + " main " + state_dir(fleet) +
                            "/clawdbot.json {literal}\n");

  // Options of the ctl after `--` are the command's.
  auto verbatim = running.exec({"sh", "-c", "printf '%s|' \"$@\"", "sh", "--json", "--socket", "/x", "-n", "5", "--"});
  CHECK(verbatim.exit_code == 0);
  CHECK(verbatim.out == "--json|--socket|/x|-n|5|--|");

  // `--socket` after the subcommand, before `--`: the last one counts.
  auto socket_after = run_supervisorctl({"--socket", (fleet.dir.path() / "nowhere.sock").string(), "exec", "main",
                                         "--socket", fleet.control_socket().string(), "--", "echo", "{profile}"});
  CHECK(socket_after.exit_code == 0);
  CHECK(socket_after.out == "main\n");

  // Found in the profile's PATH, not the caller's (/usr/bin:/bin).
  auto tool = running.exec({"profile-tool"});
  CHECK(tool.exit_code == 0);
  CHECK(tool.out == "profile-tool main\n");

  // Not in PATH: next to moltbot-supervisorctl, as the supervisor finds moltbot-gateway.
  auto gateway = running.exec({"moltbot-gateway", "--help"});
  CHECK(gateway.exit_code == 0);
  CHECK_THAT(gateway.out, Contains("usage: moltbot-gateway"));
}

TEST_CASE("exec passes the command's exit status, signal, input and working directory through") {
  ExecFleet running;
  auto& fleet = running.fleet;
  CHECK(running.exec({"sh", "-c", "exit 7"}).exit_code == 7);
  CHECK(running.exec({"true"}).exit_code == 0);
  auto killed = running.exec({"sh", "-c", "kill -TERM $$"});
  CHECK(killed.exit_code == -1);
  CHECK(killed.signal == SIGTERM);

  const auto here = fleet.dir.path() / "somewhere";
  std::filesystem::create_directories(here);
  auto pwd = running.exec({"pwd"}, here.string());
  CHECK(pwd.exit_code == 0);
  CHECK(pwd.out == here.string() + "\n");

  ProcessRun piped;
  piped.argv = {"/bin/sh", "-c", "printf 'line one\\nline two\\n' | \"$0\" --socket \"$1\" exec main -- cat",
                MOLTBOT_SUPERVISORCTL_BIN, fleet.control_socket().string()};
  piped.env = {{"PATH", "/usr/bin:/bin"}};
  auto input = run_process(piped);
  CHECK(input.exit_code == 0);
  CHECK(input.out == "line one\nline two\n");
}

TEST_CASE("exec says why a command cannot run, with a shell's exit statuses") {
  ExecFleet running;
  auto& fleet = running.fleet;
  auto missing = running.exec({"no-such-command-4711", "arg"});
  CHECK(missing.exit_code == 127);
  CHECK_THAT(missing.err, Contains("no-such-command-4711: command not found in the profile's PATH (" +
                                   running.tools.string() + ":/usr/bin:/bin)"));

  auto no_file = running.exec({(fleet.dir.path() / "nothing-here").string()});
  CHECK(no_file.exit_code == 127);
  CHECK_THAT(no_file.err, Contains("cannot execute " + (fleet.dir.path() / "nothing-here").string()) &&
                              Contains("No such file or directory"));

  const auto not_executable = fleet.dir.write("plain.txt", "echo never\n");
  auto refused = running.exec({not_executable.string()});
  CHECK(refused.exit_code == 126);
  CHECK_THAT(refused.err, Contains("cannot execute " + not_executable.string()) && Contains("Permission denied"));
}

TEST_CASE("exec refuses an unknown profile, a bad placeholder and an environment that cannot be built") {
  ExecFleet running;
  auto& fleet = running.fleet;
  auto unknown = supervisorctl(fleet, {"exec", "nosuch", "--", "true"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Contains("no profile \"nosuch\"") && Contains("[no-such-profile]"));

  auto placeholder = running.exec({"echo", "{prot}"});
  CHECK(placeholder.exit_code == 1);
  CHECK(placeholder.out.empty());
  CHECK_THAT(placeholder.err, Contains("argv[1] \"{prot}\": unknown placeholder {prot}") && Contains("[bad-argument]"));
  auto brace = running.exec({"sh", "-c", "echo ${HOME}"});
  CHECK(brace.exit_code == 1);
  CHECK_THAT(brace.err, Contains("argv[2]") && Contains("write '{{' for a literal brace"));

  // The env_file is read again for every exec, as for every start of the gateway.
  std::filesystem::remove(running.env_file);
  auto gone = running.exec({"true"});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, Contains(running.env_file.string() + ": no such file") && Contains("[environment-unavailable]"));
  fleet.dir.write("main.env", "GATEWAY_TOKEN='unterminated\n");
  auto malformed = running.exec({"true"});
  CHECK(malformed.exit_code == 1);
  CHECK_THAT(malformed.err, Contains("unterminated") && Contains("[environment-unavailable]"));
  CHECK(fleet.status("main")["state"] == "running");  // nothing of this touched the gateway
}

TEST_CASE("exec without a supervisor exits 3, and a wrong command line 2") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto absent = supervisorctl(fleet, {"exec", "main", "--", "true"});
  CHECK(absent.exit_code == 3);
  CHECK_THAT(absent.err, Contains("the supervisor is not running"));

  const std::string socket = fleet.control_socket().string();
  const std::vector<std::vector<std::string>> usage_errors{
      {"exec", "main", "true"},                           // no `--`
      {"exec", "main", "sh", "-c", "true"},               // no `--`, an option of the command
      {"exec", "main", "--"},                             // no command
      {"exec", "--", "true"},                             // no profile
      {"--json", "exec", "main", "--", "true"},           // --json does not apply
      {"exec", "main", "--json", "--", "true"},           // ... wherever it is
      {"exec", "main", "--", std::string("caf\xe9", 4)},  // not UTF-8: JSON cannot carry it
  };
  for (auto args : usage_errors) {
    args.insert(args.begin(), {"--socket", socket});
    auto result = run_supervisorctl(args);
    INFO(result.err);
    CHECK(result.exit_code == 2);
  }
  // Those are refused before any connection: the supervisor being absent is never reached.
  auto no_dash = supervisorctl(fleet, {"exec", "main", "true"});
  CHECK_THAT(no_dash.err, Contains("the command goes after `--`"));

  // `--socket` may follow the subcommand, before `--`.
  auto after = run_supervisorctl({"exec", "main", "--socket", socket, "--", "true"});
  CHECK(after.exit_code == 3);
  CHECK_THAT(after.err, Contains(socket));
}

TEST_CASE("exec-environment on the wire: the reply's shape and its argument errors") {
  ExecFleet running;
  auto& fleet = running.fleet;
  RawConnection connection(fleet.control_socket().string());
  REQUIRE(connection.connected());
  connection.send(request_line("exec-environment", {{"profile", "main"}, {"argv", {"echo", "{port}"}}}));
  auto reply = connection.read_line();
  REQUIRE(reply);
  REQUIRE((*reply)["ok"] == true);
  const auto& data = (*reply)["data"];
  CHECK(data["profile"] == "main");
  CHECK(data["argv"] == json{"echo", std::to_string(fleet.ports.at("main"))});
  CHECK(data["env"]["OPENCLAW_STATE_DIR"] == state_dir(fleet));
  CHECK(data["env"]["GATEWAY_TOKEN"] == secret);

  auto error_of = [&](const json& args) {
    connection.send(request_line("exec-environment", args));
    auto line = connection.read_line();
    REQUIRE(line);
    CHECK((*line)["ok"] == false);
    return (*line)["error"]["code"].get<std::string>() + ": " + (*line)["error"]["message"].get<std::string>();
  };
  CHECK_THAT(error_of({{"argv", {"true"}}}),
             Contains("bad-argument: exec-environment: argument \"profile\" is required"));
  CHECK_THAT(error_of({{"profile", "main"}}), Contains("bad-argument") && Contains("\"argv\" is required"));
  CHECK_THAT(error_of({{"profile", "main"}, {"argv", "true"}}), Contains("must be an array of strings"));
  CHECK_THAT(error_of({{"profile", "main"}, {"argv", {"echo", 1}}}), Contains("must be an array of strings"));
  CHECK_THAT(error_of({{"profile", "main"}, {"argv", json::array()}}),
             Contains("bad-argument") && Contains("is empty"));
  CHECK_THAT(error_of({{"profile", "nosuch"}, {"argv", {"true"}}}), Contains("no-such-profile"));
}

TEST_CASE("exec run by the supervisor: base64 output, secrets redacted, one command a connection, killed with it") {
  ExecFleet running;
  auto& fleet = running.fleet;
  {
    RawConnection connection(fleet.control_socket().string());
    REQUIRE(connection.connected());
    // Any bytes arrive unchanged (base64); the env_file's value does not arrive at all.
    connection.send(request_line("exec", {{"profile", "main"},
                                          {"argv", {"sh", "-c", "printf 'a\\377b\\n'; echo \"$GATEWAY_TOKEN\" >&2"}}}));
    std::map<std::string, std::string> streams;
    std::optional<json> reply;
    while (auto line = connection.read_line()) {
      if (line->contains("ok")) {
        reply = line;
        break;
      }
      for (const char* name : {"stdout", "stderr"})
        if (line->contains(name)) streams[name] += (*line)[name].get<std::string>() + " ";
    }
    REQUIRE(reply);
    CHECK((*reply)["data"]["exit"] == json{{"code", 0}, {"signal", nullptr}});
    CHECK(streams["stdout"] == "Yf9iCg== ");  // "a\xffb\n"
    CHECK(streams["stderr"] == "PHJlZGFjdGVkPgo= ");  // "<redacted>\n"

    const auto pid_file = fleet.dir.path() / "sleeper.pid";
    connection.send(request_line(
        "exec", {{"profile", "main"}, {"argv", {"sh", "-c", "echo $$ > " + pid_file.string() + "; exec sleep 1000"}}}));
    REQUIRE(wait_until([&] { return read_file(pid_file).find('\n') != std::string::npos; }, 10s));
    const pid_t sleeper = std::stoi(read_file(pid_file));
    fleet.track(sleeper);
    connection.send(request_line("exec", {{"profile", "main"}, {"argv", {"true"}}}));
    auto busy = connection.read_line();
    REQUIRE(busy);
    CHECK((*busy)["error"]["code"] == "busy");
    CHECK(process_alive(sleeper));
    connection.shutdown_write();  // the client is done: the command goes with it
    CHECK(wait_until([&] { return !process_alive(sleeper); }, 10s));
  }
  RawConnection connection(fleet.control_socket().string());
  connection.send(request_line("exec", {{"profile", "main"}, {"argv", {"no-such-program-4711"}}}));
  auto failed = connection.read_line();
  REQUIRE(failed);
  CHECK((*failed)["error"]["code"] == "exec-failed");
  CHECK_THAT((*failed)["error"]["message"].get<std::string>(), Contains("no-such-program-4711"));
}
