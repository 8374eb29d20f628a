// supervisor.socket_group with a real system group: the socket file's mode and group, a member
// of the group served, a non-member refused (by the file system, and by the supervisor itself
// when the file system lets it through). Needs root to create the group and to connect as
// `nobody`; exits 77, which ctest reports as skipped, otherwise.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt

ProcessResult run_tool(std::vector<std::string> argv) {
  ProcessRun run;
  run.argv = std::move(argv);
  run.env = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
  return run_process(run);
}

// A group created for one test and deleted with this object, whatever the test's outcome.
class SystemGroup {
 public:
  SystemGroup() : name_("moltbot-t" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device()() % 100000)) {
    auto added = run_tool({"/usr/sbin/groupadd", name_});
    if (added.exit_code != 0) throw std::runtime_error("groupadd " + name_ + " failed: " + added.err);
  }
  ~SystemGroup() { run_tool({"/usr/sbin/groupdel", name_}); }
  SystemGroup(const SystemGroup&) = delete;
  SystemGroup& operator=(const SystemGroup&) = delete;

  const std::string& name() const { return name_; }
  gid_t gid() const {
    const group* entry = ::getgrnam(name_.c_str());
    return entry ? entry->gr_gid : static_cast<gid_t>(-1);
  }
  bool add(const std::string& user) const { return run_tool({"/usr/bin/gpasswd", "-a", user, name_}).exit_code == 0; }
  bool remove(const std::string& user) const {
    return run_tool({"/usr/bin/gpasswd", "-d", user, name_}).exit_code == 0;
  }

 private:
  std::string name_;
};

// `moltbot-supervisorctl --socket SOCKET ARGS...` as `nobody`, with the groups a login of nobody
// gets from /etc/group right now.
ProcessResult supervisorctl_as_nobody(const SupervisorFixture& fleet, const std::vector<std::string>& args) {
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  std::vector<gid_t> groups(256);
  int count = static_cast<int>(groups.size());
  REQUIRE(::getgrouplist("nobody", gid, groups.data(), &count) >= 0);
  groups.resize(static_cast<std::size_t>(count));

  const auto err_path = fleet.dir.path() / "ctl-as-nobody.stderr";
  const std::string socket = fleet.control_socket().string();
  std::vector<const char*> argv{MOLTBOT_SUPERVISORCTL_BIN, "--socket", socket.c_str()};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  std::vector<std::string> env{"PATH=/usr/bin:/bin"};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  std::vector<const char*> envp;
  for (const auto& entry : env) envp.push_back(entry.c_str());
  envp.push_back(nullptr);

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Between fork and exec: async-signal-safe calls only.
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_RDWR);
    if (err < 0 || null < 0) ::_exit(125);
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    ::execve(argv[0], const_cast<char* const*>(argv.data()), const_cast<char* const*>(envp.data()));
    ::_exit(127);
  }
  int status = 0;
  const bool ended = wait_until([&] { return ::waitpid(child, &status, WNOHANG) == child; }, 20s);
  if (!ended) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  ProcessResult result;
  result.timed_out = !ended;
  result.exit_code = ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = read_file(err_path);
  return result;
}

}  // namespace

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
  auto outsider = supervisorctl_as_nobody(fleet, {"status"});
  CHECK(outsider.exit_code == 1);
  CHECK_THAT(outsider.err, Contains("Permission denied"));

  // A member (a supplementary group, as a login gets it from /etc/group) is served.
  REQUIRE(group.add("nobody"));
  auto member = supervisorctl_as_nobody(fleet, {"status"});
  CHECK(member.exit_code == 0);
  CHECK(member.err.empty());
  // ... but not handed the profile's environment: its env_file secrets are the supervisor uid's.
  auto exec = supervisorctl_as_nobody(fleet, {"exec", "main", "--", "/bin/true"});
  CHECK(exec.exit_code == 1);
  CHECK_THAT(exec.err, Contains("[not-permitted]") && Contains("env_file secrets included: only root or uid 0") &&
                           Contains("this is uid " + std::to_string(::getpwnam("nobody")->pw_uid)));
  // ... nor may it replace the supervisor's program.
  const pid_t gateway = fleet.running_pid("main");
  auto reexec = supervisorctl_as_nobody(fleet, {"reexec"});
  CHECK(reexec.exit_code == 1);
  CHECK_THAT(reexec.err, Contains("[not-permitted]") && Contains("reexec replaces the supervisor's program"));
  CHECK(fleet.status("main")["pid"] == gateway);

  // No longer a member, with the file system door open: the supervisor's own check refuses.
  REQUIRE(group.remove("nobody"));
  REQUIRE(::chmod(fleet.control_socket().c_str(), 0666) == 0);
  auto refused = supervisorctl_as_nobody(fleet, {"status"});
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
