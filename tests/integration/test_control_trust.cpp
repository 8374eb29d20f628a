// Trust boundaries (issue 17): what a hostile local user tried against a root supervisor, each
// reproduced as `nobody` (setpriv, or setuid in a forked child), with the refusal and proof that
// nothing outside was touched: the root-owned file unchanged, the impostor never believed. Also
// the modes of what the supervisor creates, and its memory with ten profiles printing 64 KiB lines.
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

#include "control_fixture.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;
constexpr int exit_untrusted_socket = 4;  // moltbot-supervisorctl's (docs/control-protocol.md)

// `script` run by /bin/sh as nobody:nogroup without supplementary groups.
ProcessResult as_nobody(const std::string& script) {
  ProcessRun run;
  run.argv = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/sh", "-c", script};
  run.env = {{"PATH", "/usr/bin:/bin"}};
  return run_process(run);
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// A fleet whose folders nobody may reach (the fixture's dir is root's 0700 otherwise), and a
// root-owned 0600 file for nobody's symlinks to point at.
struct ExposedFleet {
  SupervisorFixture fleet{Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}}};
  std::filesystem::path precious = fleet.dir.write_private("precious", "root's own\n");
  ExposedFleet() { REQUIRE(::chmod(fleet.dir.path().c_str(), 0755) == 0); }

  // The folder `relative` (to the fleet's dir) is made nobody's, and nobody points `name` in it at
  // the root file. Returns the folder.
  std::filesystem::path plant(const std::string& relative, const std::string& name) {
    const auto folder = fleet.dir.path() / relative;
    std::filesystem::create_directories(folder);
    REQUIRE(::chown(folder.c_str(), nobody, nogroup) == 0);
    REQUIRE(::chmod(folder.c_str(), 0755) == 0);
    REQUIRE(as_nobody("ln -s '" + precious.string() + "' '" + (folder / name).string() + "'").exit_code == 0);
    return folder;
  }
  static std::string nobodys(const std::filesystem::path& folder) {
    return folder.string() + " (owner uid 65534, group gid 65534, mode 0755) is owned by another user";
  }
  void check_precious_untouched() {
    CHECK(read_file(precious) == "root's own\n");
    CHECK(mode_of(precious) == 0600);
  }
};

// A process that listens on `path` and answers every connection with a fake status, as a
// hostile user's socket would. `bind_as_nobody`: the socket file is nobody's; otherwise root
// makes it, but nobody listens on it (the file's owner and the peer differ).
class Impostor {
 public:
  Impostor(const std::filesystem::path& path, bool bind_as_nobody) {
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) serve(path, bind_as_nobody);
    REQUIRE(wait_until([&] { return std::filesystem::exists(path); }, 10s));
  }
  ~Impostor() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  [[noreturn]] static void serve(const std::filesystem::path& path, bool bind_as_nobody) {
    const auto become_nobody = [] {
      if (::setgroups(0, nullptr) != 0 || ::setgid(nogroup) != 0 || ::setuid(nobody) != 0) ::_exit(126);
    };
    if (bind_as_nobody) become_nobody();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::_exit(125);
    ::chmod(path.c_str(), 0666);
    if (!bind_as_nobody) become_nobody();
    if (::listen(fd, 8) != 0) ::_exit(124);
    const std::string fake = R"({"version":1,"ok":true,"data":[{"name":"impostor","role":"main","state":"running"}]})" "\n";
    for (;;) {
      const int client = ::accept(fd, nullptr, nullptr);
      if (client < 0) continue;
      [[maybe_unused]] auto written = ::write(client, fake.data(), fake.size());
      ::close(client);
    }
  }
  pid_t pid_ = -1;
};

}  // namespace

// The profile is refused, not the fleet: rescue runs beside it.
TEST_CASE("trust: supervisor.lock symlinked to a root file in a state dir nobody owns is refused", "[trust]") {
  ExposedFleet exposed;
  auto& fleet = exposed.fleet;
  const auto folder = exposed.plant("main/state", "supervisor.lock");
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  CHECK(fleet.status("main")["reason"] == "refused to start: state dir: " + ExposedFleet::nobodys(folder) +
                                              "; a folder the supervisor writes into, and each of its parents, must "
                                              "be owned by root or the supervisor's uid; parked until reset");
  CHECK(fleet.running_pid("rescue") > 0);
  CHECK_THAT(supervisor.err(), Contains("error[untrusted-dir]") && Contains(ExposedFleet::nobodys(folder)));
  exposed.check_precious_untouched();

  // Once root owns the folder again and the link is gone, reset starts it.
  std::filesystem::remove(folder / "supervisor.lock");
  REQUIRE(::chown(folder.c_str(), 0, 0) == 0);
  CHECK(supervisorctl(fleet, {"reset", "main"}).exit_code == 0);
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  exposed.check_precious_untouched();
  // Its first start took the lock and ended a predecessor's leftovers, clearing the record: it was
  // written again, so a successor of a supervisor killed with -9 finds the cgroup.
  const auto recorded = recorded_cgroup(fleet.dir.path() / "main" / "state");
  REQUIRE_FALSE(recorded.empty());
  CHECK_THAT(read_file(recorded / "cgroup.procs"), Contains(std::to_string(main_pid) + "\n"));
}

// The log dir is the whole fleet's: the supervisor refuses to start.
TEST_CASE("trust: log/main.log symlinked to a root file in a log dir nobody owns is refused", "[trust]") {
  ExposedFleet exposed;
  auto& fleet = exposed.fleet;
  const auto folder = exposed.plant("logs", "main.log");
  auto& supervisor = fleet.start_supervisor();
  auto ended = supervisor.wait_for_exit(20s);
  REQUIRE(ended);
  CHECK(ended->code == 1);
  CHECK_THAT(supervisor.err(), Contains("error[untrusted-dir]") && Contains(ExposedFleet::nobodys(folder)));
  exposed.check_precious_untouched();
  CHECK_FALSE(std::filesystem::exists(fleet.status_file()));
}

TEST_CASE("trust: the CLI refuses a socket another user could have put there", "[trust]") {
  TempDir dir;
  REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
  const auto refused = [](const std::filesystem::path& socket, const std::string& why) {
    auto result = run_supervisorctl({"status", "--socket", socket.string()});
    CHECK(result.exit_code == exit_untrusted_socket);
    CHECK_THAT(result.err, Contains("refusing to use " + socket.string()) && Contains(why));
    CHECK(result.out.find("impostor") == std::string::npos);
  };

  SECTION("nobody's socket renamed over the supervisor's in a folder anyone may write") {
    const auto open_dir = dir.path() / "run";
    std::filesystem::create_directory(open_dir);
    REQUIRE(::chmod(open_dir.c_str(), 0777) == 0);
    Impostor impostor(open_dir / "impostor.sock", true);
    auto moved = as_nobody("mv '" + (open_dir / "impostor.sock").string() + "' '" +
                           (open_dir / "supervisord.sock").string() + "'");
    REQUIRE(moved.exit_code == 0);
    refused(open_dir / "supervisord.sock", "it is owned by uid 65534");
    SECTION("even a socket file of root's there: anyone could have swapped it") {
      Impostor rootish(open_dir / "root.sock", false);
      refused(open_dir / "root.sock",
              open_dir.string() + " (owner uid 0, group gid 0, mode 0777) is writable by others");
    }
  }
  SECTION("nobody's socket in a sticky folder like /tmp") {
    const auto sticky = dir.path() / "tmp";
    std::filesystem::create_directory(sticky);
    REQUIRE(::chmod(sticky.c_str(), 01777) == 0);
    Impostor impostor(sticky / "supervisord.sock", true);
    refused(sticky / "supervisord.sock", "it is owned by uid 65534");
  }
  SECTION("a socket file of root's on which nobody listens") {
    Impostor impostor(dir.path() / "supervisord.sock", false);
    refused(dir.path() / "supervisord.sock", "it is answered by uid 65534");
  }
  SECTION("a file that is no socket") {
    dir.write("supervisord.sock", "");
    refused(dir.path() / "supervisord.sock", "it is not a socket");
  }
}

TEST_CASE("trust: what the supervisor creates is nobody else's", "[trust]") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  fleet.running_pid("main");
  const auto& dir = fleet.dir.path();
  CHECK(mode_of(dir / "main/state") == 0700);
  CHECK(mode_of(dir / "main/workspace") == 0700);
  CHECK(mode_of(dir / "main/state/supervisor.lock") == 0600);
  CHECK(mode_of(dir / "logs") == 0700);
  CHECK(mode_of(dir / "logs/main.log") == 0640);
  CHECK(mode_of(fleet.status_file()) == 0640);
  CHECK(mode_of(fleet.control_socket()) == 0660);
  // The umask gateways inherit: 027.
  const auto status = read_file("/proc/" + std::to_string(fleet.running_pid("main")) + "/status");
  CHECK_THAT(status, Contains("Umask:\t0027"));
}

TEST_CASE("trust: ten profiles printing 64 KiB lines keep the supervisor's memory bounded", "[trust]") {
  // 100 lines of 65,000 bytes each: 6.5 MB per profile, 65 MB in all, of which the tails keep at
  // most 1 MiB per profile (ProfileLog's TailBudget).
  const std::string script =
      R"('i=0; while [ $i -lt 100 ]; do head -c 65000 /dev/zero | tr "\000" x; echo; i=$((i+1)); done; )"
      R"(echo all written; exec sleep 600')";
  Profiles profiles;
  for (int i = 0; i < 10; ++i)
    profiles["p" + std::to_string(i)] =
        main_profile({}, {{"command", "[/bin/sh, -c, " + script + "]"}, {"health", "{type: none}"}});
  SupervisorFixture fleet(profiles);
  auto& supervisor = fleet.start_supervisor();
  for (const auto& [name, options] : profiles)
    // The line itself, not the `exec` note that quotes the command.
    REQUIRE(wait_until([&] { return fleet.profile_log(name).find(" all written\n") != std::string::npos; }, 60s));
  const long peak_kib = status_kib(supervisor.pid(), "VmHWM");
  INFO("supervisor peak RSS " << peak_kib << " KiB");
  CHECK(peak_kib > 0);
  // The tails alone took 132 MB before they were bounded in bytes. In a sanitizer build freed
  // memory stays resident (ASan's quarantine, 533 MB here): reported there, not asserted.
  if (MOLTBOT_SANITIZED_BUILD)
    WARN("sanitizer build: supervisor peak RSS " << peak_kib << " KiB (not asserted)");
  else
    CHECK(peak_kib < 48 * 1024);
  auto logs = supervisorctl(fleet, {"logs", "p0", "-n", "10000"});
  CHECK(logs.exit_code == 0);
  // The tail holds 16 of the 65,000-byte lines (1 MiB), not the 100 printed.
  CHECK(logs.out.size() > 1000 * 1000);
  CHECK(logs.out.size() < 1100 * 1000);

  // On the wire: the older lines one `log` line each, then the reply with the newest ones, no
  // message over 64 KiB and a bit.
  RawConnection connection(fleet.control_socket().string());
  connection.send(request_line("logs", {{"profile", "p0"}, {"lines", 10000}}));
  std::size_t log_lines = 0, largest = 0;
  nlohmann::json reply;
  while (auto message = connection.read_line()) {
    largest = std::max(largest, message->dump().size());
    if (message->contains("ok")) {
      reply = *message;
      break;
    }
    CHECK((*message)["log"].get<std::string>().size() == 65000);
    ++log_lines;
  }
  REQUIRE(reply["ok"] == true);
  CHECK(log_lines + reply["data"]["lines"].size() == 17);  // 16 lines of x, then "all written"
  CHECK(reply["data"]["lines"].back() == "all written");
  CHECK(largest < 66 * 1024);
}
