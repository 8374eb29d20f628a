// The file-descriptor store's plumbing (moltbot/runtime/fd_store.h) against the test notify
// listener that emulates systemd's store: names, storing, replacing and removing, and a process
// that stores descriptors and exits followed by one started with them (LISTEN_FDS), as a
// supervisor started after a crash is.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <sstream>

#include "moltbot/runtime/fd_store.h"
#include "moltbot/test/child_process.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"
#include "notify_listener.h"

using namespace moltbot;
using namespace moltbot::runtime;
using namespace moltbot::test;
using namespace std::chrono_literals;

namespace {

constexpr auto deadline = 10s;

struct Pipe {
  Pipe() { REQUIRE(::pipe2(ends, O_CLOEXEC) == 0); }
  ~Pipe() {
    ::close(ends[0]);
    ::close(ends[1]);
  }
  int ends[2] = {-1, -1};
  int read_end() const { return ends[0]; }
  int write_end() const { return ends[1]; }
};

std::string read_some(int fd) {
  char buffer[256];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

struct StoreFixture {
  TempDir dir{"moltbot-fd-store"};
  NotifyListener listener{dir.path() / "notify.sock"};
  FdStore store{listener.path().string()};

  // Waits until the listener has handled `count` messages in all.
  bool handled(std::size_t count) {
    return listener.wait_for([&](const auto& messages) { return messages.size() >= count; }, deadline);
  }

  std::map<std::string, std::string> probe_env() const {
    return {{"NOTIFY_SOCKET", listener.path().string()}, {"PATH", "/usr/bin:/bin"}};
  }

  // fd_store_probe ARGS... to its end.
  ProcessResult probe(const std::vector<std::string>& args) const {
    ProcessRun run;
    run.argv = {MOLTBOT_FD_STORE_PROBE};
    run.env = probe_env();
    run.argv.insert(run.argv.end(), args.begin(), args.end());
    return run_process(run);
  }

  // `fd_store_probe receive NAMES...` started as systemd starts a service with a store: the
  // stored descriptors from 3 on, LISTEN_FDS and LISTEN_FDNAMES, and LISTEN_PID its own pid
  // (the shell exports $$ and execs) unless `listen_pid` says otherwise.
  std::string receive(const std::vector<std::string>& names, const StoredFds& stored,
                      std::map<std::string, std::string> env_changes = {}) const {
    ChildOptions options;
    options.argv = {"/bin/sh", "-c", "export LISTEN_PID=${LISTEN_PID:-$$}; exec \"$@\"", "sh",
                    MOLTBOT_FD_STORE_PROBE, "receive"};
    options.argv.insert(options.argv.end(), names.begin(), names.end());
    options.env = stored.listen_env();
    options.env["PATH"] = "/usr/bin:/bin";
    for (const auto& [name, value] : env_changes) options.env[name] = value;
    options.passed_fds = stored.fds;
    options.output_dir = dir.path();
    options.name = "receiver";
    ChildProcess receiver(options);
    auto exit = receiver.wait_for_exit(deadline);
    REQUIRE(exit);
    INFO(receiver.err());
    CHECK(exit->code == 0);
    return receiver.out();
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The descriptors the receiver still had open at the end ("open: 3 5").
std::set<int> open_fds(const std::string& out) {
  std::set<int> fds;
  const auto line = out.find("open:");
  if (line == std::string::npos) return fds;
  std::istringstream numbers(out.substr(line + 5, out.find('\n', line) - line - 5));
  for (int fd; numbers >> fd;) fds.insert(fd);
  return fds;
}

}  // namespace

TEST_CASE("store names are what systemd accepts") {
  CHECK(is_valid_fd_name(control_fd_name));
  CHECK(is_valid_fd_name("out-main"));
  CHECK(is_valid_fd_name(std::string(255, 'a')));
  CHECK_FALSE(is_valid_fd_name(std::string(256, 'a')));
  CHECK_FALSE(is_valid_fd_name(""));
  CHECK_FALSE(is_valid_fd_name("out:main"));
  CHECK_FALSE(is_valid_fd_name("out\nmain"));
  CHECK_FALSE(is_valid_fd_name("out-\xc3\xa9"));
}

TEST_CASE("a profile's output pipe is out-PROFILE, a long name shortened without clashing") {
  CHECK(output_fd_name("main") == "out-main");
  CHECK(output_fd_name("rescue_2-b") == "out-rescue_2-b");
  const std::string longest(251, 'p');
  CHECK(output_fd_name(longest) == "out-" + longest);

  const std::string long_a = std::string(300, 'p') + "a", long_b = std::string(300, 'p') + "b";
  for (const auto& name : {long_a, long_b, std::string(252, 'p')}) {
    INFO(name.size());
    CHECK(is_valid_fd_name(output_fd_name(name)));
    CHECK(output_fd_name(name).starts_with("out-" + name.substr(0, 230) + "~"));
  }
  CHECK(output_fd_name(long_a) != output_fd_name(long_b));
  CHECK(output_fd_name(long_a) == output_fd_name(long_a));  // the next supervisor finds it again
}

TEST_CASE("there is a store only under a service manager that has one") {
  CHECK_FALSE(FdStore::from_environment({}));
  CHECK_FALSE(FdStore::from_environment({{"NOTIFY_SOCKET", ""}}));
  CHECK_FALSE(FdStore::from_environment({{"NOTIFY_SOCKET", "/run/n.sock"}, {"FDSTORE", "0"}}));
  auto store = FdStore::from_environment({{"NOTIFY_SOCKET", "/run/n.sock"}, {"FDSTORE", "4096"}});
  REQUIRE(store);
  CHECK(store->notify_socket() == "/run/n.sock");
  CHECK(FdStore::from_environment({{"NOTIFY_SOCKET", "@abstract"}}));  // systemd before 254 says no more
}

TEST_CASE("a stored descriptor is kept under its name, replaced by the next one, removed on request") {
  StoreFixture fx;
  Pipe first, second;
  REQUIRE(fx.store.store("out-main", first.read_end()) == 0);
  REQUIRE(fx.handled(2));  // the removal of whatever was there, then the store
  CHECK(fx.listener.stored_names() == std::vector<std::string>{"out-main"});
  {
    auto stored = fx.listener.stored();
    REQUIRE(stored.fds.size() == 1);
    REQUIRE(::write(first.write_end(), "a", 1) == 1);
    CHECK(read_some(stored.fds[0]) == "a");  // the same pipe
  }
  const auto message = fx.listener.messages().back();
  CHECK(message.has("FDSTORE=1"));
  CHECK(message.value("FDNAME") == "out-main");
  CHECK(message.has("FDPOLL=0"));

  REQUIRE(fx.store.store("out-main", second.read_end()) == 0);
  REQUIRE(fx.store.store(control_fd_name, second.write_end()) == 0);
  REQUIRE(fx.handled(6));
  CHECK(fx.listener.stored_names() == std::vector<std::string>{"out-main", "control"});
  {
    auto stored = fx.listener.stored();
    REQUIRE(::write(second.write_end(), "b", 1) == 1);
    CHECK(read_some(stored.fds[0]) == "b");  // the second pipe took the first one's place
  }

  REQUIRE(fx.store.remove("out-main") == 0);
  REQUIRE(fx.handled(7));
  CHECK(fx.listener.stored_names() == std::vector<std::string>{"control"});
  REQUIRE(fx.store.remove("out-gone") == 0);  // nothing under that name: nothing to do
  REQUIRE(fx.handled(8));
  CHECK(fx.listener.stored_names() == std::vector<std::string>{"control"});
}

TEST_CASE("the emulated store keeps one of each open file, as systemd does") {
  StoreFixture fx;
  Pipe pipe;
  const int copy = ::dup(pipe.read_end());
  REQUIRE(fx.store.store("out-a", pipe.read_end()) == 0);
  REQUIRE(fx.store.store("out-b", copy) == 0);
  ::close(copy);
  REQUIRE(fx.handled(4));
  CHECK(fx.listener.stored_names() == std::vector<std::string>{"out-a"});
}

TEST_CASE("storing fails plainly: a bad name, no descriptor, no service manager") {
  StoreFixture fx;
  Pipe pipe;
  CHECK(fx.store.store("out:main", pipe.read_end()) == EINVAL);
  CHECK(fx.store.store("", pipe.read_end()) == EINVAL);
  CHECK(fx.store.store("out-main", std::span<const int>{}) == EINVAL);
  CHECK(fx.store.remove(std::string(256, 'a')) == EINVAL);
  CHECK(fx.listener.messages().empty());

  const FdStore gone((fx.dir.path() / "no-such.sock").string());
  CHECK(gone.store("out-main", pipe.read_end()) == ENOENT);
  CHECK(gone.remove("out-main") == ENOENT);
}

TEST_CASE("what a process stored before it exited comes back to the next one, named and close-on-exec") {
  StoreFixture fx;
  auto stored = fx.probe({"store", "out-main=hello from main", "out-rescue=rescue line", "out-old=stale"});
  INFO(stored.err);
  REQUIRE(stored.exit_code == 0);
  REQUIRE(fx.probe({"remove", "out-rescue"}).exit_code == 0);
  REQUIRE(fx.listener.wait_for(
      [](const auto& messages) { return messages.size() >= 7 && messages.back().has("FDSTOREREMOVE=1"); }, deadline));
  REQUIRE(fx.listener.stored_names() == std::vector<std::string>{"out-main", "out-old"});

  const auto out = fx.receive({"out-main", "out-rescue"}, fx.listener.stored());
  INFO(out);
  CHECK(contains(out, "out-main: hello from main\n"));
  CHECK(contains(out, "out-rescue: none\n"));
  CHECK(contains(out, "close-on-exec: yes\n"));
  CHECK(contains(out, "env: clean\n"));  // not passed on to whatever it starts
  CHECK(contains(out, "untaken: out-old\n"));
  CHECK_FALSE(open_fds(out).contains(3));
  CHECK_FALSE(open_fds(out).contains(4));
}

TEST_CASE("descriptors passed to another process are left alone") {
  StoreFixture fx;
  REQUIRE(fx.probe({"store", "out-main=for someone else"}).exit_code == 0);
  REQUIRE(fx.handled(2));
  const auto out = fx.receive({"out-main"}, fx.listener.stored(), {{"LISTEN_PID", "1"}});
  INFO(out);
  CHECK(contains(out, "out-main: none\n"));
  CHECK(contains(out, "env: clean\n"));
  CHECK(open_fds(out).contains(3));  // not closed: it was not this process's to close
}

TEST_CASE("names that do not match the descriptors make every one unknown, still closed") {
  StoreFixture fx;
  REQUIRE(fx.probe({"store", "out-main=a", "out-rescue=b"}).exit_code == 0);
  REQUIRE(fx.handled(4));
  const auto out = fx.receive({"out-main"}, fx.listener.stored(), {{"LISTEN_FDNAMES", "out-main"}});
  INFO(out);
  CHECK(contains(out, "out-main: none\n"));
  CHECK(contains(out, "untaken: unknown\n"));
  CHECK_FALSE(open_fds(out).contains(3));
  CHECK_FALSE(open_fds(out).contains(4));
}
