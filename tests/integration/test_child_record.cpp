// The records a supervisor leaves in a profile's state dir for its successor: the file helpers
// (atomic, 0600, never through a symlink, bounded) and the record of a running child, read back
// only while the recorded process (pid and start time) still runs.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/runtime/child_record.h"
#include "moltbot/runtime/process_marker.h"
#include "moltbot/runtime/spawner.h"
#include "moltbot/runtime/state_record.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::runtime;
using moltbot::test::read_file;
using moltbot::test::TempDir;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

const std::string instance = "0123456789abcdef0123456789abcdef";

bool wait_until_comm(pid_t pid, const std::string& comm) {
  return moltbot::test::wait_until(
      [&] {
        auto stat = read_proc_stat(pid);
        return stat && stat->comm == comm;
      },
      std::chrono::seconds(5));
}

// A sleeping child of this test with the marker a supervisor gives profile `main`'s gateway
// (process_marker.h), killed and reaped at the end.
struct Sleeper {
  explicit Sleeper(moltbot::Environment env = {{marker_profile_variable, "main"}, {marker_instance_variable, instance}},
                   std::vector<std::string> argv = {"/bin/sleep", "60"}) {
    auto spawned = spawn({std::move(argv), std::move(env), "/", -1});
    REQUIRE(std::holds_alternative<pid_t>(spawned));
    pid = std::get<pid_t>(spawned);
    // Until sleep is exec'd (by setpriv too, once its uid is nobody's), the child still has this
    // test's environment, without the marker.
    REQUIRE(wait_until_comm(pid, "sleep"));
  }
  ~Sleeper() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  void reap() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
  pid_t pid = -1;
};

}  // namespace

TEST_CASE("state record: replaced whole, private, and nothing left beside it") {
  TempDir dir;
  const std::string state = dir.path().string();
  REQUIRE_FALSE(write_state_record(state, "supervisor.test", "first\n"));
  REQUIRE_FALSE(write_state_record(state, "supervisor.test", "second\n"));
  CHECK(read_state_record(state, "supervisor.test") == "second\n");
  CHECK(mode_of(dir.path() / "supervisor.test") == 0600);
  CHECK_FALSE(fs::exists(dir.path() / "supervisor.test.tmp"));

  remove_state_record(state, "supervisor.test");
  CHECK_FALSE(fs::exists(dir.path() / "supervisor.test"));
  CHECK_FALSE(read_state_record(state, "supervisor.test"));
  remove_state_record(state, "supervisor.test");  // none: no error
}

TEST_CASE("state record: never read or written through a symlink") {
  TempDir dir;
  const std::string state = dir.path().string();
  const auto target = dir.write("elsewhere", "precious\n");
  fs::create_symlink(target, dir.path() / "supervisor.test");
  CHECK_FALSE(read_state_record(state, "supervisor.test"));
  // Replacing the record replaces the link itself.
  REQUIRE_FALSE(write_state_record(state, "supervisor.test", "record\n"));
  CHECK_FALSE(fs::is_symlink(dir.path() / "supervisor.test"));
  CHECK(read_file(target) == "precious\n");

  fs::create_symlink(target, dir.path() / "supervisor.other.tmp");
  auto error = write_state_record(state, "supervisor.other", "record\n");
  REQUIRE(error);
  CHECK(*error == "cannot write " + state + "/supervisor.other: Too many levels of symbolic links");
  CHECK(read_file(target) == "precious\n");
}

TEST_CASE("state record: a FIFO, a huge file or a missing state dir is no record") {
  TempDir dir;
  const std::string state = dir.path().string();
  REQUIRE(::mkfifo((dir.path() / "supervisor.fifo").c_str(), 0600) == 0);
  CHECK_FALSE(read_state_record(state, "supervisor.fifo"));  // and no hang
  dir.write("supervisor.huge", std::string(max_state_record + 1, 'x'));
  CHECK_FALSE(read_state_record(state, "supervisor.huge"));

  const std::string missing = (dir.path() / "missing").string();
  CHECK_FALSE(read_state_record(missing, "supervisor.test"));
  auto error = write_state_record(missing, "supervisor.test", "x");
  REQUIRE(error);
  CHECK(*error == "cannot write " + missing + "/supervisor.test: No such file or directory");
}

TEST_CASE("child record: a running child is found again with a pidfd that reaches it") {
  TempDir dir;
  const std::string state = dir.path().string();
  Sleeper child;
  auto record = describe_child(child.pid, 0x0123456789abcdefull, instance, moltbot::config::RestartMode::external);
  REQUIRE(record);
  CHECK(record->process.pid == child.pid);
  CHECK(record->pgid == child.pid);  // the spawner gives each child its own group
  CHECK(record->process.start_time == read_proc_stat(child.pid)->start_time);
  REQUIRE_FALSE(record_child(state, *record));
  CHECK(mode_of(dir.path() / child_record_name) == 0600);
  CHECK(read_file(dir.path() / child_record_name).find("\"entry_hash\":\"0123456789abcdef\"") != std::string::npos);

  CHECK(read_child_record(state) == record);
  auto found = find_recorded_child(state, "main", ::getuid());
  REQUIRE(found);
  CHECK(found->record == *record);
  REQUIRE(found->pidfd.signal(SIGKILL));
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  CHECK(WTERMSIG(status) == SIGKILL);
  child.pid = -1;

  forget_child(state);
  CHECK_FALSE(fs::exists(dir.path() / child_record_name));
  CHECK_FALSE(read_child_record(state));
}

TEST_CASE("child record: a process that is not the recorded one is not found, and never signalled") {
  TempDir dir;
  const std::string state = dir.path().string();
  Sleeper child;
  auto record = describe_child(child.pid, 1, instance, moltbot::config::RestartMode::in_process);
  REQUIRE(record);

  SECTION("the pid now names a process started at another time") {
    auto recycled = *record;
    recycled.process.start_time += 1;
    REQUIRE_FALSE(record_child(state, recycled));
    CHECK(read_child_record(state) == recycled);
    CHECK_FALSE(find_recorded_child(state, "main", ::getuid()));
    CHECK(is_alive(record->process));
  }
  SECTION("the process has ended but is not reaped yet") {
    REQUIRE_FALSE(record_child(state, *record));
    REQUIRE(::kill(child.pid, SIGKILL) == 0);
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOWAIT) == 0);  // a zombie now
    CHECK_FALSE(find_recorded_child(state, "main", ::getuid()));
    CHECK_FALSE(describe_child(child.pid, 1, instance, moltbot::config::RestartMode::in_process));
  }
  SECTION("the process is gone") {
    REQUIRE_FALSE(record_child(state, *record));
    child.reap();
    CHECK_FALSE(find_recorded_child(state, "main", ::getuid()));
  }
  SECTION("the record names another profile, or is read for another uid") {
    REQUIRE_FALSE(record_child(state, *record));
    CHECK_FALSE(find_recorded_child(state, "rescue", ::getuid()));
    CHECK_FALSE(find_recorded_child(state, "main", ::getuid() + 1));
    CHECK(find_recorded_child(state, "main", ::getuid()));
  }
}

// What whoever can write the state dir could forge: the pid and start time of a process that is
// not ours. Without the marker of the recorded supervisor and profile, running as the supervisor's
// uid, it is never found (and so never signalled or adopted).
TEST_CASE("child record: a forged record of a process that is not a gateway of ours is not found") {
  TempDir dir;
  const std::string state = dir.path().string();
  const auto [what, env, argv] = GENERATE(table<std::string, moltbot::Environment, std::vector<std::string>>({
      {"no marker", {}, {"/bin/sleep", "60"}},
      {"the marker of another supervisor",
       {{marker_profile_variable, "main"}, {marker_instance_variable, "ffffffffffffffffffffffffffffffff"}},
       {"/bin/sleep", "60"}},
      {"the marker of another profile",
       {{marker_profile_variable, "rescue"}, {marker_instance_variable, instance}},
       {"/bin/sleep", "60"}},
      {"the marker, in a process of another user",
       {{marker_profile_variable, "main"}, {marker_instance_variable, instance}},
       {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sleep", "60"}},
  }));
  INFO(what);
  Sleeper process(env, argv);
  auto record = describe_child(process.pid, 1, instance, moltbot::config::RestartMode::in_process);
  REQUIRE(record);
  REQUIRE_FALSE(record_child(state, *record));
  CHECK_FALSE(find_recorded_child(state, "main", ::getuid()));
  CHECK(is_alive(record->process));
}

TEST_CASE("child record: a malformed record or one of another version is no record") {
  TempDir dir;
  const std::string state = dir.path().string();
  // Every field but the one a row breaks as a good record has it.
  const std::string rest = R"("instance":"0123456789abcdef0123456789abcdef","restart_mode":"in-process")";
  const auto [what, text] = GENERATE_REF(table<std::string, std::string>({
      {"not JSON", "1234 5678\n"},
      {"not an object", "[1234]\n"},
      {"another version", R"({"version":2,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"no version", R"({"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"pid 1", R"({"version":1,"pid":1,"start_time":5,"pgid":1,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"pid 0", R"({"version":1,"pid":0,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"negative pid", R"({"version":1,"pid":-5,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"pid past the limit", R"({"version":1,"pid":99999999,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"pid as text", R"({"version":1,"pid":"1234","start_time":5,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"no start time", R"({"version":1,"pid":1234,"pgid":1234,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"pgid 0", R"({"version":1,"pid":1234,"start_time":5,"pgid":0,"entry_hash":"0000000000000001",)" + rest + "}"},
      {"no hash", R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,)" + rest + "}"},
      {"short hash", R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"1",)" + rest + "}"},
      {"hash not hex", R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"000000000000000g",)" + rest + "}"},
      {"no instance", R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001","restart_mode":"in-process"})"},
      {"an instance that is a path",
       R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001","instance":"../../../../etc","restart_mode":"in-process"})"},
      {"an unknown restart mode",
       R"({"version":1,"pid":1234,"start_time":5,"pgid":1234,"entry_hash":"0000000000000001","instance":"0123456789abcdef0123456789abcdef","restart_mode":"sideways"})"},
      {"empty", ""},
  }));
  INFO(what);
  dir.write(child_record_name, text);
  CHECK_FALSE(read_child_record(state));
  CHECK_FALSE(find_recorded_child(state, "main", ::getuid()));
}
