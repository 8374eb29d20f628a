// control.grants with real users and groups: a granted user is served what its grant gives and
// nothing else, through the socket file's ACL and the supervisor's own check; status and `all`
// are narrowed to the granted profiles; every granted command is audited; `exec` through a grant
// is run by the supervisor and hands back output and exit status, never the env_file's values.
// Needs root to create the accounts and to run the CLI as them; exits 77, which ctest reports as
// skipped, otherwise.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"
#include "moltbot/test/system_account.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt
constexpr const char* secret = "s3cr3t-of-main-env-file-9c2e";

// main (with a secret in its env_file) and rescue, running, with grants for `rescuer` over main and
// for the group `ops` (status everywhere), and an `outsider` with none.
struct GrantedFleet {
  GrantedFleet() : rescuer(), ops(), operator_({&ops}), outsider(), fleet(Profiles{}) {
    const auto env_file = fleet.dir.write_private("main.env", std::string("GATEWAY_TOKEN=") + secret + "\n");
    fleet.write_manifest(Profiles{{"main", main_profile({}, {{"env_file", json(env_file.string()).dump()}})},
                                  {"rescue", rescue_profile()}});
    auto yaml = read_file(fleet.manifest);
    yaml += "control:\n"
            "  grants:\n"
            "    - user: " + rescuer.name() + "\n"
            "      profiles: [main]\n"
            "      commands: [status, logs, restart, reset, exec]\n"
            "    - group: " + ops.name() + "\n"
            "      profiles: all\n"
            "      commands: [status, events]\n";
    fleet.dir.write("fleet.yaml", yaml);
    // Everyone may reach the socket file: the file's mode and ACL decide, then the supervisor.
    std::filesystem::permissions(fleet.dir.path(), std::filesystem::perms(0755));
    fleet.start_supervisor();
    REQUIRE(fleet.running_pid("main") > 0);
    REQUIRE(fleet.running_pid("rescue") > 0);
    REQUIRE(wait_control_socket(fleet));
  }

  ProcessResult as(const SystemUser& user, const std::vector<std::string>& args,
                   std::optional<std::string> stdin_path = std::nullopt) {
    return supervisorctl_as(fleet, user.name(), args, std::move(stdin_path));
  }
  std::string log() { return fleet.supervisor().err(); }

  SystemUser rescuer;
  SystemGroup ops;
  SystemUser operator_;  // a member of ops
  SystemUser outsider;
  SupervisorFixture fleet;
};

std::vector<std::string> names_in(const json& statuses) {
  std::vector<std::string> names;
  for (const auto& status : statuses) names.push_back(status.at("name"));
  return names;
}

}  // namespace

TEST_CASE("a granted user may restart main, but neither shut down nor touch rescue; others are refused") {
  GrantedFleet granted;
  auto& fleet = granted.fleet;
  const auto uid = std::to_string(granted.rescuer.uid());
  auto events = start_ctl(fleet, "events", {"--json", "events"});
  REQUIRE(wait_until([&] { return events->out().find("streaming") != std::string::npos; }, 10s));

  // The socket file: 0660, with the granted user and group in its ACL.
  struct stat info {};
  REQUIRE(::stat(fleet.control_socket().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0660);
  CHECK(::getxattr(fleet.control_socket().c_str(), "system.posix_acl_access", nullptr, 0) > 0);

  // status lists the granted profile only.
  auto status = granted.as(granted.rescuer, {"status", "--json"});
  INFO(status.err);
  REQUIRE(status.exit_code == 0);
  CHECK(names_in(ctl_json(status)) == std::vector<std::string>{"main"});
  auto rescue_status = granted.as(granted.rescuer, {"status", "rescue"});
  CHECK(rescue_status.exit_code == 1);
  CHECK_THAT(rescue_status.err, Contains("no grant gives \"status\" on profile \"rescue\"") &&
                                    Contains("[not-permitted]"));

  // restart main: granted, done and audited.
  const pid_t before = fleet.running_pid("main");
  auto restart = granted.as(granted.rescuer, {"restart", "main", "--wait"});
  INFO(restart.err);
  CHECK(restart.exit_code == 0);
  CHECK(fleet.wait_status("main", [&](const json& s) { return s["state"] == "running" && s["pid"] != before; }));
  CHECK(wait_until([&] { return granted.log().find("control: audit: uid " + uid + " (pid ") != std::string::npos; },
                   5s));
  CHECK_THAT(granted.log(),
             Contains("through the grant of user " + granted.rescuer.name() + ": \"restart\" on \"main\""));
  CHECK(wait_until([&] { return events->out().find("\"kind\":\"audit\"") != std::string::npos; }, 5s));
  bool audited = false;
  for (std::size_t start = 0, end; (end = events->out().find('\n', start)) != std::string::npos; start = end + 1) {
    auto line = json::parse(events->out().substr(start, end - start), nullptr, false);
    if (!line.is_object() || !line.contains("event") || line["event"]["kind"] != "audit") continue;
    const auto& event = line["event"];
    if (event["command"] != "restart") continue;
    audited = event["uid"] == granted.rescuer.uid() && event["pid"].get<int>() > 0 && event["profile"] == "main" &&
              event["profiles"] == json::array({"main"});
  }
  CHECK(audited);

  // `all` is every granted profile: main, and rescue neither restarted nor named.
  const pid_t rescue_pid = fleet.running_pid("rescue");
  auto all = granted.as(granted.rescuer, {"restart", "all", "--include-rescue", "--json"});
  INFO(all.err);
  REQUIRE(all.exit_code == 0);
  CHECK(ctl_json(all) == json{{"profiles", {"main"}}, {"skipped", json::array()}});

  // Never grantable, or not granted: refused, naming the missing grant; nothing happens.
  auto shutdown = granted.as(granted.rescuer, {"shutdown"});
  CHECK(shutdown.exit_code == 1);
  CHECK_THAT(shutdown.err, Contains("\"shutdown\" acts on the whole supervisor and is never grantable") &&
                               Contains("[not-permitted]"));
  auto restart_rescue = granted.as(granted.rescuer, {"restart", "rescue"});
  CHECK(restart_rescue.exit_code == 1);
  CHECK_THAT(restart_rescue.err, Contains("no grant gives \"restart\" on profile \"rescue\"") &&
                                     Contains("gives status, logs, restart, reset, exec on main"));
  auto stop = granted.as(granted.rescuer, {"stop", "main"});
  CHECK(stop.exit_code == 1);
  CHECK_THAT(stop.err, Contains("no grant gives \"stop\""));
  auto logs_rescue = granted.as(granted.rescuer, {"logs", "rescue"});
  CHECK(logs_rescue.exit_code == 1);
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);
  CHECK(fleet.supervisor().running());
  CHECK_THAT(granted.log(), Contains("control: refused: uid " + uid));

  // A group grant: its member sees every profile, and may do nothing else.
  auto member_status = granted.as(granted.operator_, {"status", "--json"});
  INFO(member_status.err);
  REQUIRE(member_status.exit_code == 0);
  CHECK(names_in(ctl_json(member_status)) == std::vector<std::string>{"main", "rescue"});
  auto member_restart = granted.as(granted.operator_, {"restart", "main"});
  CHECK(member_restart.exit_code == 1);
  CHECK_THAT(member_restart.err, Contains("[not-permitted]"));

  // No grant: the file system keeps the outsider out ...
  auto outsider = granted.as(granted.outsider, {"status"});
  CHECK(outsider.exit_code == 1);
  CHECK_THAT(outsider.err, Contains("Permission denied"));
  // ... and the supervisor, when the file is opened to everyone.
  REQUIRE(::chmod(fleet.control_socket().c_str(), 0666) == 0);
  auto let_through = granted.as(granted.outsider, {"status"});
  CHECK(let_through.exit_code == 1);
  CHECK_THAT(let_through.err, Contains("[permission-denied]") && Contains("and no control grant names it"));
}

TEST_CASE("exec through a grant is run by the supervisor: output and exit status back, secrets not") {
  GrantedFleet granted;
  auto& fleet = granted.fleet;

  auto ran = granted.as(granted.rescuer, {"exec", "main", "--", "sh", "-c",
                                          "echo \"token=$GATEWAY_TOKEN port={port}\"; pwd; echo oops >&2; exit 7"});
  CHECK(ran.exit_code == 7);
  CHECK(ran.out == "token=<redacted> port=" + std::to_string(fleet.ports["main"]) + "\n" +
                       (fleet.dir.path() / "main/state").string() + "\n");
  CHECK(ran.err == "oops\n");
  CHECK_THAT(granted.log(), Contains("\"exec\" on \"main\" (program \"sh\")"));

  auto killed = granted.as(granted.rescuer, {"exec", "main", "--", "sh", "-c", "kill -TERM $$"});
  CHECK(killed.exit_code == 128 + SIGTERM);

  auto rescue = granted.as(granted.rescuer, {"exec", "rescue", "--", "true"});
  CHECK(rescue.exit_code == 1);
  CHECK_THAT(rescue.err, Contains("no grant gives \"exec\" on profile \"rescue\""));
  auto member = granted.as(granted.operator_, {"exec", "main", "--", "true"});
  CHECK(member.exit_code == 1);
  CHECK_THAT(member.err, Contains("no grant gives \"exec\""));

  // A command whose client goes away is killed with its process group.
  ChildOptions options;
  options.argv = {"/usr/bin/setpriv", "--reuid=" + granted.rescuer.name(), "--regid=" + granted.rescuer.name(),
                  "--init-groups", "--", MOLTBOT_SUPERVISORCTL_BIN, "--socket", fleet.control_socket().string(),
                  "exec", "main", "--", "sh", "-c", "sleep 1000 & echo $!; wait"};
  options.env = {{"PATH", "/usr/bin:/bin"}};
  options.output_dir = fleet.dir.path();
  options.name = "long-exec";
  ChildProcess client(options);
  REQUIRE(wait_until([&] { return client.out().find('\n') != std::string::npos; }, 10s));
  const pid_t sleeper = std::stoi(client.out());
  fleet.track(sleeper);
  CHECK(process_alive(sleeper));
  client.signal(SIGKILL);
  CHECK(wait_until([&] { return !process_alive(sleeper); }, 10s));

  // Nothing of the secret anywhere the supervisor wrote.
  CHECK(granted.log().find(secret) == std::string::npos);
  CHECK(fleet.profile_log("main").find(secret) == std::string::npos);
}

TEST_CASE("exec through a grant streams the caller's stdin to the command, paced by the command") {
  GrantedFleet granted;
  auto& fleet = granted.fleet;
  // 4 MB of lines, readable by the rescuer (the fixture's dir is 0755, the file 0644).
  std::string lines;
  char line[16];
  for (int n = 0; n < 400000; ++n) lines.append(line, static_cast<std::size_t>(std::snprintf(line, sizeof line, "line %06d\n", n)));
  const auto input = fleet.dir.write("input.txt", lines);
  REQUIRE(::chmod(input.c_str(), 0644) == 0);

  // Every byte arrives in order, and its end: the same checksum and size as read here.
  ProcessRun here;
  here.argv = {"/usr/bin/cksum"};
  here.stdin_path = input.string();
  const auto expected = run_process(here);
  REQUIRE(expected.out == expected.out.substr(0, expected.out.find(' ')) + " " + std::to_string(lines.size()) + "\n");
  auto summed = granted.as(granted.rescuer, {"exec", "main", "--", "cksum"}, input.string());
  CHECK(summed.exit_code == 0);
  CHECK(summed.out == expected.out);

  // A command that reads slowly holds the client up: it still gets everything.
  auto slow = granted.as(granted.rescuer,
                         {"exec", "main", "--", "sh", "-c", "sleep 1; tail -n 1"}, input.string());
  CHECK(slow.exit_code == 0);
  CHECK(slow.out == "line 399999\n");

  // A command that stops reading ends the feed: no hang, its own status.
  auto first = granted.as(granted.rescuer, {"exec", "main", "--", "head", "-n", "2"}, input.string());
  CHECK(first.exit_code == 0);
  CHECK(first.out == "line 000000\nline 000001\n");

  // An empty stdin is an end at once.
  auto empty = granted.as(granted.rescuer, {"exec", "main", "--", "wc", "-c"});
  CHECK(empty.exit_code == 0);
  CHECK(empty.out == "0\n");
  CHECK(fleet.supervisor().running());
}

TEST_CASE("a reload applies changed grants: new grantees get in, old grantees' connections are closed") {
  GrantedFleet granted;
  auto& fleet = granted.fleet;
  CHECK(granted.as(granted.outsider, {"status", "main"}).exit_code != 0);

  // The rescuer follows main's log through its grant meanwhile.
  ChildOptions options;
  options.argv = {"/usr/bin/setpriv", "--reuid=" + granted.rescuer.name(), "--regid=" + granted.rescuer.name(),
                  "--init-groups", "--", MOLTBOT_SUPERVISORCTL_BIN, "--socket", fleet.control_socket().string(),
                  "logs", "main", "-f"};
  options.env = {{"PATH", "/usr/bin:/bin"}};
  options.output_dir = fleet.dir.path();
  options.name = "follower";
  ChildProcess follower(options);
  REQUIRE(wait_until([&] { return !follower.out().empty(); }, 10s));

  // The rescuer's grant goes to the outsider, narrowed to status.
  auto yaml = read_file(fleet.manifest);
  const std::string before = "    - user: " + granted.rescuer.name() + "\n      profiles: [main]\n"
                             "      commands: [status, logs, restart, reset, exec]\n";
  REQUIRE(yaml.find(before) != std::string::npos);
  yaml.replace(yaml.find(before), before.size(),
               "    - user: " + granted.outsider.name() + "\n      profiles: [main]\n      commands: [status]\n");
  fleet.dir.write("fleet.yaml", yaml);
  const auto main_pid = fleet.running_pid("main");
  auto reloaded = supervisorctl(fleet, {"--json", "reload"});
  REQUIRE(reloaded.exit_code == 0);
  const auto reply = ctl_json(reloaded);
  CHECK(reply["warnings"].empty());
  CHECK(reply["unchanged"].size() == 2);

  const auto ended = follower.wait_for_exit(10s);
  REQUIRE(ended);
  CHECK(ended->code == 1);
  CHECK_THAT(follower.err(), Contains("[grants-changed]"));

  auto outsider = granted.as(granted.outsider, {"--json", "status", "main"});
  CHECK(outsider.exit_code == 0);
  CHECK(ctl_json(outsider)[0]["name"] == "main");
  CHECK(granted.as(granted.outsider, {"restart", "main"}).exit_code == 1);  // status only
  auto rescuer = granted.as(granted.rescuer, {"restart", "main"});
  CHECK(rescuer.exit_code != 0);
  CHECK(fleet.running_pid("main") == main_pid);  // no grant touched a gateway
}

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::printf("SKIPPED: needs root to create users and groups and to run the CLI as them\n");
    return skip_status;
  }
  return Catch::Session().run(argc, argv);
}
