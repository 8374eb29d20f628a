// The pieces of process tracking against real processes: pidfds that refuse a recycled pid, a
// profile cgroup the spawner puts a child into (root with a cgroup v2 hierarchy whose root this
// test sees; otherwise those cases only say why not), and what is left of a timed-out CLI run's
// process group.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>

#include "moltbot/runtime/cgroup_events.h"
#include "moltbot/runtime/cgroup_placement.h"
#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/profile_cgroup.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/test/temp_dir.h"
#include "runtime_test_loop.h"

using namespace moltbot::runtime;
using moltbot::test::read_file;
using moltbot::test::run_until;
using moltbot::test::shell;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The parent for the test's profile cgroups, made at the root of the hierarchy this test sees; or
// why there is none here.
std::variant<CgroupParent, std::string> test_cgroup_parent() {
  if (::geteuid() != 0) return std::string("not root");
  auto mount = find_cgroup2_mount();
  if (!mount) return std::string("no cgroup v2 hierarchy mounted");
  if (read_file("/proc/self/cgroup").find("0::" + mount->root + "\n") == std::string::npos)
    return std::string("this test is not at the root of the cgroup v2 hierarchy");
  const auto dir = mount->point / ("moltbot-test-" + std::to_string(::getpid()));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return "cannot create " + dir.string();
  return CgroupParent{*mount, dir, true, {}, {}};
}

struct RemovedDir {
  ~RemovedDir() { ::rmdir(dir.c_str()); }
  fs::path dir;
};

}  // namespace

TEST_CASE("pidfd: a recorded process is signalled only while its pid still names it") {
  auto spawned = spawn({{"/bin/sleep", "60"}, {}, "/", -1});
  REQUIRE(std::holds_alternative<pid_t>(spawned));
  const pid_t sleeper = std::get<pid_t>(spawned);
  auto stat = read_proc_stat(sleeper);
  REQUIRE(stat);
  // The pid with another start time: the process the record meant is gone, this is another one.
  CHECK_FALSE(Pidfd::of({sleeper, stat->start_time + 1}));
  CHECK_FALSE(signal_process({sleeper, stat->start_time + 1}, SIGKILL));
  CHECK(is_alive({sleeper, stat->start_time}));

  auto handle = Pidfd::of({sleeper, stat->start_time});
  REQUIRE(handle);
  REQUIRE(handle->signal(SIGKILL));
  int status = 0;
  REQUIRE(::waitpid(sleeper, &status, 0) == sleeper);
  CHECK(WTERMSIG(status) == SIGKILL);
  // Reaped: the descriptor still holds the dead process, never whatever gets its pid next.
  CHECK_FALSE(handle->signal(0));
}

TEST_CASE("profile cgroup: the spawned child and everything it starts are members; kill ends them; removed empty") {
  auto parent = test_cgroup_parent();
  if (auto* reason = std::get_if<std::string>(&parent)) {
    WARN("cgroups not checked here: " << *reason);
    return;
  }
  RemovedDir parent_dir{std::get<CgroupParent>(parent).dir};
  boost::asio::io_context io;
  auto events = CgroupEvents::open(io);
  REQUIRE(std::holds_alternative<std::unique_ptr<CgroupEvents>>(events));
  auto& watcher = *std::get<std::unique_ptr<CgroupEvents>>(events);
  auto created = ProfileCgroup::create(std::get<CgroupParent>(parent), "alpha", watcher);
  REQUIRE(std::holds_alternative<std::unique_ptr<ProfileCgroup>>(created));
  auto cgroup = std::move(std::get<std::unique_ptr<ProfileCgroup>>(created));
  const auto path = cgroup->path();
  CHECK(path == parent_dir.dir / "profile-alpha");
  int changes = 0;
  cgroup->on_change([&] { ++changes; });

  // A child that starts a helper in a new session, as a gateway would.
  int output[2];
  REQUIRE(::pipe2(output, O_CLOEXEC) == 0);
  const int procs = cgroup->open_procs();
  REQUIRE(procs >= 0);
  auto request = shell("cat /proc/self/cgroup; setsid sleep 60 & exec sleep 60");
  request.output_fd = output[1];
  request.cgroup_procs_fd = procs;
  auto spawned = spawn(request);
  ::close(procs);
  ::close(output[1]);
  REQUIRE(std::holds_alternative<pid_t>(spawned));
  const pid_t child = std::get<pid_t>(spawned);
  char text[256] = {};
  REQUIRE(::read(output[0], text, sizeof text - 1) > 0);
  ::close(output[0]);
  CHECK_THAT(std::string(text), Catch::Contains("/profile-alpha\n"));  // in it before its exec
  // The child and its helper; cgroup.events said it filled.
  REQUIRE(run_until(io, [&] { return cgroup->members().size() == 2 && changes > 0; }));
  CHECK(cgroup->populated());

  changes = 0;
  cgroup->kill();
  REQUIRE(run_until(io, [&] { return !cgroup->populated() && changes > 0; }));
  CHECK(cgroup->members().empty());
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WTERMSIG(status) == SIGKILL);

  SECTION("a cgroup removed behind the supervisor's back is made again for the next child") {
    REQUIRE(::rmdir(path.c_str()) == 0);
    const int again = cgroup->open_procs();
    CHECK(again >= 0);
    CHECK(fs::exists(path / "cgroup.procs"));
    ::close(again);
  }
  SECTION("a child that cannot join its cgroup does not start, and says why") {
    const int stale = cgroup->open_procs();
    REQUIRE(stale >= 0);
    REQUIRE(::rmdir(path.c_str()) == 0);  // the descriptor now points at a removed cgroup
    auto failed = spawn({{"/bin/true"}, {}, "/", -1, SpawnRequest::same_as_output, stale});
    ::close(stale);
    REQUIRE(std::holds_alternative<std::string>(failed));
    CHECK_THAT(std::get<std::string>(failed), Catch::StartsWith("cannot move the child process into its cgroup: "));
  }
  SECTION("dropped while empty, it is removed") {
    cgroup.reset();
    CHECK_FALSE(fs::exists(path));
  }
}

TEST_CASE("cli run: what is left of a finished command's group is killed at the deadline") {
  // As the supervisor is, a subreaper: the command's orphaned child comes to this process.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  boost::asio::io_context io;
  Reaper reaper(io);
  std::optional<CliOutcome> outcome;
  moltbot::test::TempDir dir("moltbot-cli-run");
  const auto pid_file = dir.path() / "left.pid";
  // The command exits at once; its child in the same group keeps stdout open.
  run_cli(io, reaper, shell("sleep 60 & echo $! > " + pid_file.string() + "; exit 0"), 300ms,
          [&](CliOutcome o) { outcome = std::move(o); });
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  REQUIRE(outcome->exit);
  CHECK(outcome->exit->code == 0);
  pid_t left = 0;
  std::ifstream(pid_file) >> left;
  REQUIRE(left > 0);
  // Killed at the deadline through a pidfd, then reaped here as an adopted orphan.
  CHECK(run_until(io, [&] { return !fs::exists("/proc/" + std::to_string(left)); }));
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
}
