// supervisor.socket_group with a real system group: the socket file's mode and group, a member
// of the group served, a non-member refused (by the file system, and by the supervisor itself
// when the file system lets it through). Needs root to create the group and to connect as
// `nobody`; exits 77, which ctest reports as skipped, otherwise.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"
#include "moltbot/test/system_account.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt

TEST_CASE("socket_group: the socket belongs to the group, members are served and others refused") {
  SystemGroup group;
  REQUIRE(group.gid() != static_cast<gid_t>(-1));
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto yaml = read_file(fleet.manifest);
  const std::string socket_line = "  socket: ./control.sock\n";
  REQUIRE(yaml.find(socket_line) != std::string::npos);
  yaml.insert(yaml.find(socket_line) + socket_line.size(), "  socket_group: " + group.name() + "\n");
  fleet.dir.write("fleet.yaml", yaml);
  ::chmod(fleet.dir.path().c_str(), 0755);  // nobody may reach the socket file, and no more
  fleet.start_supervisor();
  REQUIRE(wait_control_socket(fleet));

  struct stat info {};
  REQUIRE(::stat(fleet.control_socket().c_str(), &info) == 0);
  CHECK(S_ISSOCK(info.st_mode));
  CHECK((info.st_mode & 07777) == 0660);
  CHECK(info.st_gid == group.gid());

  // Not a member: the socket file's mode already keeps nobody out.
  auto outsider = supervisorctl_as(fleet, "nobody", {"status"});
  CHECK(outsider.exit_code == 1);
  CHECK_THAT(outsider.err, Contains("Permission denied"));

  // A member (a supplementary group, as a login gets it from /etc/group) is served.
  REQUIRE(group.add("nobody"));
  auto member = supervisorctl_as(fleet, "nobody", {"status"});
  CHECK(member.exit_code == 0);
  CHECK(member.err.empty());
  // ... but not handed the profile's environment (its env_file secrets are the supervisor uid's):
  // the supervisor runs the command itself, as the ctl's fallback when exec-environment is refused.
  auto exec = supervisorctl_as(fleet, "nobody", {"exec", "main", "--", "sh", "-c", "echo $PPID; exit 5"});
  CHECK(exec.exit_code == 5);
  CHECK(exec.out == std::to_string(fleet.supervisor().pid()) + "\n");
  CHECK(exec.err.empty());
  // ... nor may it replace the supervisor's program.
  const pid_t gateway = fleet.running_pid("main");
  auto reexec = supervisorctl_as(fleet, "nobody", {"reexec"});
  CHECK(reexec.exit_code == 1);
  CHECK_THAT(reexec.err, Contains("[not-permitted]") && Contains("reexec replaces the supervisor's program"));
  CHECK(fleet.status("main")["pid"] == gateway);

  // No longer a member, with the file system door open: the supervisor's own check refuses.
  REQUIRE(group.remove("nobody"));
  REQUIRE(::chmod(fleet.control_socket().c_str(), 0666) == 0);
  auto refused = supervisorctl_as(fleet, "nobody", {"status"});
  CHECK(refused.exit_code == 1);
  CHECK_THAT(refused.err, Contains("[permission-denied]"));
  CHECK_THAT(refused.err, Contains("nor a member of group " + std::to_string(group.gid())));
  CHECK(wait_until([&] { return fleet.supervisor().err().find("refused a connection") != std::string::npos; }, 5s));
}

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::printf("SKIPPED: needs root to create a group and to connect as nobody\n");
    return skip_status;
  }
  return Catch::Session().run(argc, argv);
}
