// The runtime's OS pieces against real processes: spawner, reaper, /proc views, listener
// ownership, port preflight, the profile lock and child output. Every process started here is
// waited for or killed before its test ends.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "answered.h"
#include "moltbot/runtime/child_log.h"
#include "moltbot/runtime/health_probe.h"
#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/listener_ownership.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/port_preflight.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/profile_lock.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/socket_table.h"
#include "moltbot/runtime/spawner.h"
#include "moltbot/test/temp_dir.h"
#include "runtime_test_loop.h"

using namespace moltbot::runtime;
using moltbot::test::run_until;
using moltbot::test::shell;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// A pipe whose read end collects everything the child printed (until every writer is gone).
struct OutputPipe {
  OutputPipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~OutputPipe() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void close_write() { ::close(std::exchange(fds[1], -1)); }
  std::string read_all() {
    close_write();
    std::string text;
    char buffer[4096];
    for (;;) {
      ssize_t got = ::read(fds[0], buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;  // SIGCHLD of a Reaper's signal_set
      if (got <= 0) return text;
      text.append(buffer, static_cast<std::size_t>(got));
    }
  }
  int fds[2];
};

// Runs `argv` through spawn() and returns its output and exit status.
std::pair<std::string, ExitStatus> run_spawned(SpawnRequest request) {
  OutputPipe output;
  request.output_fd = output.fds[1];
  auto spawned = spawn(request);
  REQUIRE(std::holds_alternative<pid_t>(spawned));
  auto text = output.read_all();
  int status = 0;
  REQUIRE(::waitpid(std::get<pid_t>(spawned), &status, 0) > 0);
  return {text, ExitStatus::from_wait_status(status)};
}

// Polls `condition` until it holds or `limit` passes (test code only).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// The state (hex, as /proc/net/tcp shows it: 0A LISTEN, 03 SYN_RECV, 06 TIME_WAIT) of each IPv4
// TCP socket with `port` at either end, request sockets included.
std::multiset<std::string> tcp_states_on_port(int port) {
  std::multiset<std::string> states;
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  const auto at_port = [&](const std::string& address) {
    return std::stoi(address.substr(address.find(':') + 1), nullptr, 16) == port;
  };
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (at_port(local) || at_port(remote)) states.insert(state);
  }
  return states;
}

}  // namespace

TEST_CASE("spawn: environment from scratch, working dir, own process group, output on one fd") {
  auto [text, exit] = run_spawned(shell("echo out; echo err >&2; env | sort | grep -v '^PWD='; pwd; "
                                        "ps -o pgid= -p $$ 2>/dev/null || cut -d' ' -f5 /proc/$$/stat; echo $$"));
  CHECK(exit.code == 0);
  std::istringstream lines(text);
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  REQUIRE(got.size() >= 7);
  CHECK(got[0] == "out");
  CHECK(got[1] == "err");
  CHECK(got[2] == "ONLY=this");
  CHECK(got[3] == "PATH=/usr/bin:/bin");
  // the shell may export SHLVL etc.; the last three lines are pwd, pgid and pid
  auto n = got.size();
  CHECK(got[n - 3] == "/");
  CHECK(std::stoi(got[n - 2]) == std::stoi(got[n - 1]));  // its own process group leader
}

TEST_CASE("spawn: no inherited descriptors and no ignored signals") {
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  REQUIRE(leaked > 2);
  ::signal(SIGPIPE, SIG_IGN);  // as the supervisor does
  auto [text, exit] = run_spawned(shell("ls /proc/self/fd | sort -n | tr '\\n' ' '; echo; grep SigIgn /proc/self/status"));
  ::signal(SIGPIPE, SIG_DFL);
  ::close(leaked);
  CHECK(exit.code == 0);
  // ls itself opens one descriptor (3) to read the directory; nothing else is there.
  CHECK_THAT(text, Catch::StartsWith("0 1 2 3 \n"));
  CHECK_THAT(text, Catch::Contains("SigIgn:\t0000000000000000"));
}

TEST_CASE("spawn: a missing program is an error naming it, and leaves no zombie once the Reaper ran") {
  asio::io_context io;
  Reaper reaper(io);
  auto spawned = spawn({{"/nonexistent/moltbot-gateway"}, {}, "/", -1});
  REQUIRE(std::holds_alternative<std::string>(spawned));
  CHECK_THAT(std::get<std::string>(spawned),
             Catch::Contains("/nonexistent/moltbot-gateway") && Catch::Contains("No such file"));
  auto bad_dir = spawn({{"/bin/true"}, {}, "/nonexistent-dir", -1});
  REQUIRE(std::holds_alternative<std::string>(bad_dir));
  CHECK_THAT(std::get<std::string>(bad_dir), Catch::Contains("/nonexistent-dir"));

  // The spawner collects a failed child only if its exit is complete (it never waits on the
  // event loop); otherwise the Reaper does, as an orphan. Then no child is left at all (ECHILD).
  CHECK(run_until(io, [] {
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
  }));
}

TEST_CASE("spawn: the child dies with the process that spawned it (PR_SET_PDEATHSIG), or lives on if asked") {
  const auto on_parent_death = GENERATE(OnParentDeath::die, OnParentDeath::live_on);
  int report[2];
  REQUIRE(::pipe(report) == 0);
  pid_t middle = ::fork();
  REQUIRE(middle >= 0);
  if (middle == 0) {  // stands in for a supervisor that is killed
    SpawnRequest request{{"/bin/sleep", "30"}, {}, "/", -1};
    request.on_parent_death = on_parent_death;
    auto spawned = spawn(request);
    pid_t child = std::holds_alternative<pid_t>(spawned) ? std::get<pid_t>(spawned) : 0;
    [[maybe_unused]] auto written = ::write(report[1], &child, sizeof child);
    ::pause();
    ::_exit(0);
  }
  ::close(report[1]);
  pid_t child = 0;
  REQUIRE(::read(report[0], &child, sizeof child) == sizeof child);
  ::close(report[0]);
  REQUIRE(child > 0);
  auto identity = read_proc_stat(child);
  REQUIRE(identity);
  ProcessId sleeper{child, identity->start_time};
  CHECK(is_alive(sleeper));

  ::kill(middle, SIGKILL);
  ::waitpid(middle, nullptr, 0);
  if (on_parent_death == OnParentDeath::die) {
    CHECK(eventually([&] { return !is_alive(sleeper); }));
    return;
  }
  // Re-parented (to init, or to this process if an earlier test made it a subreaper) and running.
  CHECK(eventually([&] {
    auto now = read_proc_stat(child);
    return now && now->ppid != middle;
  }));
  CHECK(is_alive(sleeper));
  auto handle = Pidfd::of(sleeper);
  REQUIRE(handle);
  CHECK(handle->signal(SIGKILL));
  CHECK(eventually([&] { return !is_alive(sleeper); }));
  ::waitpid(child, nullptr, WNOHANG);  // collected here when this process is its subreaper
}

TEST_CASE("reaper: exits are dispatched by pid, and adopted orphans are reaped and reported") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  asio::io_context io;
  Reaper reaper(io);
  std::map<pid_t, ExitStatus> exits;
  std::vector<pid_t> orphans;
  reaper.on_orphan([&](pid_t pid, ExitStatus) { orphans.push_back(pid); });

  std::vector<pid_t> pids;
  for (const char* script : {"exit 3", "kill -9 $$", "exit 0"}) {
    auto spawned = spawn(shell(script));
    REQUIRE(std::holds_alternative<pid_t>(spawned));
    pid_t pid = std::get<pid_t>(spawned);
    pids.push_back(pid);
    reaper.watch(pid, [&exits, pid](ExitStatus status) { exits[pid] = status; });
  }
  // A child that leaves a grandchild behind: the grandchild becomes ours (subreaper).
  OutputPipe output;
  auto parent = spawn({{"/bin/sh", "-c", "sleep 0.2 & echo $!"}, {}, "/", output.fds[1]});
  REQUIRE(std::holds_alternative<pid_t>(parent));
  reaper.watch(std::get<pid_t>(parent), [](ExitStatus) {});
  pid_t grandchild = std::stoi(output.read_all());

  CHECK(run_until(io, [&] { return exits.size() == 3 && !orphans.empty(); }));
  CHECK(exits[pids[0]].code == 3);
  CHECK(exits[pids[1]].signal == SIGKILL);
  CHECK(exits[pids[2]].code == 0);
  CHECK(orphans == std::vector<pid_t>{grandchild});
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // no zombie anywhere
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("descendants are found across process groups and sessions") {
  OutputPipe output;
  auto spawned = spawn({{"/bin/sh", "-c", "setsid sleep 30 & sleep 30 & echo ready; wait"}, {{"PATH", "/usr/bin:/bin"}}, "/",
                        output.fds[1]});
  REQUIRE(std::holds_alternative<pid_t>(spawned));
  pid_t shell_pid = std::get<pid_t>(spawned);
  output.close_write();
  std::vector<ProcessId> family;
  std::set<pid_t> groups;
  // Until setsid has run, both sleeps are still in the shell's group.
  bool found = eventually([&] {
    family = descendants_of(shell_pid);
    groups.clear();
    for (const auto& process : family)
      if (auto stat = read_proc_stat(process.pid)) groups.insert(stat->pgid);
    return family.size() == 2 && groups.size() == 2;
  });
  ::kill(-shell_pid, SIGKILL);
  for (const auto& process : family) ::kill(process.pid, SIGKILL);
  ::waitpid(shell_pid, nullptr, 0);
  CHECK(found);
  CHECK(groups.size() == 2);  // one sleep stayed in the shell's group, the other has its own
}

TEST_CASE("listener ownership and port preflight name the holder") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  int port = acceptor.local_endpoint().port();

  auto listeners = moltbot::test::answered(listeners_in_range(port, port));
  REQUIRE(listeners.size() == 1);
  CHECK(moltbot::test::answered(owner_among({listeners[0].inode}, {::getpid()})) == ::getpid());

  CHECK(ListenerOwnership().check(port, {::getpid()}).verdict == ListenerCheck::Verdict::owned);
  auto foreign = ListenerOwnership().check(port, {1});
  CHECK(foreign.verdict == ListenerCheck::Verdict::foreign);
  CHECK_THAT(foreign.description, Catch::Contains("pid " + std::to_string(::getpid())));

  moltbot::config::ProfilePorts ports;
  ports.gateway = port - 1;
  ports.uses.push_back({"gateway", {port - 1, port - 1}, {}, false, {}});
  ports.uses.push_back({"bridge", {port, port}, {}, false, {}});
  auto conflict = moltbot::test::answered(find_port_conflict(ports));
  REQUIRE(conflict);
  CHECK(conflict->port == port);
  CHECK(conflict->holder == ::getpid());
  CHECK_THAT(conflict->message, Catch::Contains(std::to_string(port) + " (bridge) held by pid " +
                                                std::to_string(::getpid())));
  acceptor.close();
  CHECK_FALSE(moltbot::test::answered(find_port_conflict(ports)));
  CHECK(ListenerOwnership().check(port, {::getpid()}).verdict == ListenerCheck::Verdict::no_listener);
}

TEST_CASE("the profile lock refuses a second holder and names the first") {
  moltbot::test::TempDir dir("moltbot-lock");
  auto first = ProfileLock::acquire(dir.path().string());
  REQUIRE(std::holds_alternative<ProfileLock>(first));
  auto second = ProfileLock::acquire(dir.path().string());
  REQUIRE(std::holds_alternative<std::string>(second));
  CHECK_THAT(std::get<std::string>(second), Catch::Contains("supervisor.lock") &&
                                                Catch::Contains("pid " + std::to_string(::getpid())));
  first = std::string("released");  // drops the lock
  CHECK(std::holds_alternative<ProfileLock>(ProfileLock::acquire(dir.path().string())));
}

TEST_CASE("child output: lines reach the log file and the tail, the last ones on drain") {
  moltbot::test::TempDir dir("moltbot-log");
  asio::io_context io;
  auto log = std::make_shared<ProfileLog>(std::make_shared<LogFolder>(dir.path().string(), std::nullopt), "main",
                                          std::make_shared<TailBudget>(TailBudget{.lines = 3}));
  OutputPipe pipe;
  int read_fd = ::dup(pipe.fds[0]);
  auto output = ChildOutput::start(io, read_fd, log);
  std::string text = "one\ntwo\r\nthree\nfour\nno newline";
  REQUIRE(::write(pipe.fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  pipe.close_write();
  output->drain_now();  // as when the exit is reaped: no event-loop turn needed
  CHECK(log->tail(10) == std::vector<std::string>{"three", "four", "no newline"});
  log->supervisor_line("exited");
  CHECK(log->tail(2) == std::vector<std::string>{"no newline", "[supervisor] exited"});
  std::ifstream file(dir.path() / "main.log");
  std::stringstream content;
  content << file.rdbuf();
  CHECK_THAT(content.str(), Catch::Contains(" one\n") && Catch::Contains(" two\n") &&
                                Catch::Contains(" no newline\n") && Catch::Contains("[supervisor] exited"));
  // Each line stamped with local date and time to the millisecond.
  std::string first_line = content.str().substr(0, content.str().find('\n'));
  CHECK(std::regex_match(first_line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} one)")));
}

TEST_CASE("child output: escapes stripped and secrets redacted in the file, the tail and followers") {
  moltbot::test::TempDir dir("moltbot-log");
  asio::io_context io;
  auto log = std::make_shared<ProfileLog>(std::make_shared<LogFolder>(dir.path().string(), std::nullopt), "main",
                                          std::make_shared<TailBudget>(TailBudget{.lines = 10}));
  std::vector<std::string> followed;
  log->on_line([&](const std::string& line) { followed.push_back(line); });
  log->supervisor_line("exec gateway --token tok-4f1e9a2b (pid 1)");  // before the secrets are known
  log->set_secrets({"tok-4f1e9a2b", "file-secret-77", "short"});
  log->supervisor_line("exec gateway --token tok-4f1e9a2b (pid 2)");
  OutputPipe pipe;
  auto output = ChildOutput::start(io, ::dup(pipe.fds[0]), log);
  // Coloured, the secret split by a colour change, only escapes, a short non-secret, UTF-8.
  std::string text =
      "\x1b[36m[gateway]\x1b[39m token tok-4f1e9a2b\r\n"
      "auth: tok-\x1b[1m4f1e9a2b\x1b[22m and file-secret-77\n"
      "\x1b[2J\x1b[H\n"
      "\n"
      "level short, caf\xc3\xa9 \xe2\x9c\x93\x1b]0;title\a\n";
  REQUIRE(::write(pipe.fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  pipe.close_write();
  output->drain_now();

  const std::vector<std::string> expected{
      "[supervisor] exec gateway --token tok-4f1e9a2b (pid 1)",
      "[supervisor] exec gateway --token <redacted> (pid 2)",
      "[gateway] token <redacted>",
      "auth: <redacted> and <redacted>",
      "",  // an empty line stays one; a line of escapes alone is dropped
      "level short, caf\xc3\xa9 \xe2\x9c\x93",
  };
  CHECK(log->tail(10) == expected);
  CHECK(followed == expected);
  std::ifstream file(dir.path() / "main.log");
  std::stringstream content;
  content << file.rdbuf();
  CHECK(content.str().find('\x1b') == std::string::npos);
  CHECK(content.str().find("file-secret-77") == std::string::npos);
  CHECK_THAT(content.str(), Catch::Contains(" auth: <redacted> and <redacted>\n") &&
                                Catch::Contains(" level short, caf\xc3\xa9 \xe2\x9c\x93\n"));

  SECTION("new secrets replace the old ones") {
    log->set_secrets({"rotated-secret"});
    log->supervisor_line("old tok-4f1e9a2b, new rotated-secret");
    CHECK(log->tail(1) == std::vector<std::string>{"[supervisor] old tok-4f1e9a2b, new <redacted>"});
  }
}

TEST_CASE("probes: tcp, http and exec, each bounded by its timeout") {
  asio::io_context io;
  Reaper reaper(io);
  std::optional<ProbeResult> result;
  auto record = [&](ProbeResult r) { result = std::move(r); };
  auto finished = [&] { return result.has_value(); };

  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  int port = acceptor.local_endpoint().port();

  SECTION("tcp: a listener accepts, probe after probe on the thread's kept socket; a closed port refuses") {
    drop_kept_sockets();
    auto kept_inode = [] {
      struct stat status {};
      ::fstat(kept_probe_socket().get(), &status);  // get() opens another if the probe closed it
      return status.st_ino;
    };
    ino_t kept = 0;
    // Sockets of the port from before (the listener; the acceptor reuses addresses, so maybe a
    // TIME_WAIT of an earlier connection that had this port): a probe may add none.
    const auto before_probes = tcp_states_on_port(port);
    REQUIRE(before_probes.contains("0A"));
    for (int round = 0; round < 3; ++round) {
      result.reset();
      probe_tcp(io, port, 1000ms, record);
      REQUIRE(run_until(io, finished));
      CHECK(result->ok);
      if (round == 0) kept = kept_inode();
      CHECK(kept_inode() == kept);  // the same socket: neither closed nor opened again
      // The listener answered the SYN, and the reset ended its half-open request before it became
      // a connection: nothing to accept, and no socket of the port stays behind in any state
      // (no TIME_WAIT, no SYN_RECV).
      acceptor.non_blocking(true);
      asio::ip::tcp::socket probed(io);
      boost::system::error_code accept_error;
      acceptor.accept(probed, accept_error);
      CHECK(accept_error == asio::error::would_block);
      const auto after_probe = tcp_states_on_port(port);
      CHECK(std::includes(before_probes.begin(), before_probes.end(), after_probe.begin(), after_probe.end()));
    }
    // A refused connect leaves a socket in no known state: it is closed, and the next probe opens
    // another.
    acceptor.close();
    result.reset();
    probe_tcp(io, port, 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK_THAT(result->detail, Catch::Contains("refused"));
    CHECK_FALSE(kept_probe_socket().drop());
  }
  SECTION("tcp: a socket opened without descriptors to spare is closed after its probe") {
    drop_kept_sockets();
    int asked = 0;
    struct Unset {
      ~Unset() { keep_sockets_while(nullptr); }
    } unset;
    keep_sockets_while([&] {
      ++asked;
      return false;
    });
    for (int round = 0; round < 2; ++round) {
      result.reset();
      probe_tcp(io, port, 1000ms, record);
      REQUIRE(run_until(io, finished));
      CHECK(result->ok);
      CHECK_FALSE(kept_probe_socket().drop());  // nothing left open
    }
    CHECK(asked == 2);  // asked at each opening
  }
  SECTION("tcp: a connect left in progress by a full accept queue is waited for, with the timeout") {
    // Backlog 0 holds one connection; past it the kernel drops the SYN and connect() returns
    // EINPROGRESS, so the probe waits in the loop (the fast path settles inside connect()).
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener, 0) == 0);
    socklen_t size = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
    const int full_port = ntohs(address.sin_port);
    const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(::connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    auto asked = std::chrono::steady_clock::now();
    probe_tcp(io, full_port, 300ms, record);
    REQUIRE(run_until(io, finished));
    CHECK(std::chrono::steady_clock::now() - asked >= 300ms);
    CHECK(result->detail == "timed out after 300 ms");
    // Once the filler is accepted, the waiting probe's retransmitted SYN gets through (about 1 s).
    result.reset();
    probe_tcp(io, full_port, 5000ms, record);
    const int accepted = ::accept(listener, nullptr, nullptr);  // the filler's: room for one more
    REQUIRE(run_until(io, finished));
    CHECK(result->ok);
    CHECK(result->detail == "the listener answered");
    for (int fd : {accepted, filler, listener}) ::close(fd);
  }
  SECTION("http: the status line decides; silence times out") {
    asio::ip::tcp::socket peer(io);
    std::string reply;
    auto serve = [&](std::string answer) {
      reply = std::move(answer);
      acceptor.async_accept(peer, [&](const boost::system::error_code& error) {
        if (!error && !reply.empty()) asio::write(peer, asio::buffer(reply));
      });
    };
    serve("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    probe_http(io, port, "/readyz", 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK(result->detail == "HTTP 503");

    result.reset();
    peer.close();
    serve("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    probe_http(io, port, "/healthz", 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK(result->ok);

    result.reset();
    peer.close();
    serve("");  // accepts and never answers, like a SIGSTOPped gateway
    auto asked = std::chrono::steady_clock::now();
    probe_http(io, port, "/healthz", 300ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK(result->detail == "timed out after 300 ms");
    CHECK(std::chrono::steady_clock::now() - asked >= 300ms);
  }
  SECTION("exec: exit 0 is healthy; a hung command is killed at the timeout") {
    moltbot::Environment env{{"PATH", "/usr/bin:/bin"}};
    probe_exec(io, reaper, {"true"}, env, "/", 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK(result->ok);
    result.reset();
    probe_exec(io, reaper, {"sh", "-c", "exit 4"}, env, "/", 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK_THAT(result->detail, Catch::Contains("exit status 4"));
    result.reset();
    probe_exec(io, reaper, {"sleep", "30"}, env, "/", 200ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK_THAT(result->detail, Catch::Contains("timed out after 200 ms"));
    // The killed command is reaped too: nothing remains.
    CHECK(run_until(io, [] { return ::waitpid(-1, nullptr, WNOHANG) == -1; }));
  }
  SECTION("exec: a command found nowhere in PATH fails naming it, even when the working dir has it") {
    moltbot::test::TempDir work("moltbot-probe");
    auto decoy = work.write("health-check", "#!/bin/sh\nexit 0\n");
    ::chmod(decoy.c_str(), 0755);
    probe_exec(io, reaper, {"health-check"}, {{"PATH", "/usr/bin:/bin"}}, work.path().string(), 1000ms, record);
    REQUIRE(run_until(io, finished));
    CHECK_FALSE(result->ok);
    CHECK(result->detail == "cannot execute health-check: not found in PATH (/usr/bin:/bin)");
    CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // nothing was started
  }
}
