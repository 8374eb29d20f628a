// The listener check behind every answered probe, against real sockets: the kernel's own choice of
// listener for 127.0.0.1:PORT (whatever the bind), foreign holders named by pid and name, the
// remembered owner dropped as soon as the socket or the child changes, and the lookups' socket
// shared within a turn of the loop. Every process started here is killed and reaped before its
// test ends.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "answered.h"
#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/listener_ownership.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/socket_table.h"
#include "moltbot/runtime/spawner.h"
#include "moltbot/test/ports.h"

using namespace moltbot::runtime;
namespace asio = boost::asio;
using asio::ip::tcp;
using Verdict = ListenerCheck::Verdict;

namespace {

struct Bind {
  std::string address;
  bool v6_only = false;
};

tcp::acceptor listen_on(asio::io_context& io, const Bind& bind, int port) {
  auto address = asio::ip::make_address(bind.address);
  tcp::acceptor acceptor(io);
  acceptor.open(address.is_v6() ? tcp::v6() : tcp::v4());
  if (address.is_v6()) acceptor.set_option(asio::ip::v6_only(bind.v6_only));
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind({address, static_cast<unsigned short>(port)});
  acceptor.listen();
  return acceptor;
}

SocketInode inode_of(tcp::acceptor& acceptor) {
  auto link = std::to_string(acceptor.native_handle());
  char target[64] = {};
  REQUIRE(::readlink(("/proc/self/fd/" + link).c_str(), target, sizeof target - 1) > 0);
  std::string text(target);  // "socket:[12345]"
  REQUIRE(text.starts_with("socket:["));
  return std::stoull(text.substr(8));
}

// A `sleep` holding `acceptor`'s socket: the test's own copy is closed, so the listener belongs to
// another process. spawn() keeps only the output descriptor, which is how the socket gets across.
class Sleeper {
 public:
  explicit Sleeper(tcp::acceptor& acceptor) {
    auto spawned = spawn({{"/bin/sleep", "30"}, {}, "/", acceptor.native_handle()});
    REQUIRE(std::holds_alternative<pid_t>(spawned));
    pid_ = std::get<pid_t>(spawned);
    acceptor.close();
  }
  ~Sleeper() { stop(); }
  Sleeper(const Sleeper&) = delete;
  Sleeper& operator=(const Sleeper&) = delete;
  pid_t pid() const { return pid_; }
  // Returns once the process has exited, and so closed the socket.
  void stop() {
    if (pid_ == 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

std::string own_name() { return read_proc_stat(::getpid())->comm; }

std::string pid_and_name(pid_t pid, const std::string& name) {
  return "(pid " + std::to_string(pid) + ", " + name + ")";
}

}  // namespace

TEST_CASE("listener ownership: the listener a connection to 127.0.0.1 reaches, whatever the bind") {
  asio::io_context io;
  int port = moltbot::test::find_free_port_block(1);
  auto bind = GENERATE(Bind{"127.0.0.1"}, Bind{"0.0.0.0"}, Bind{"::", false});
  CAPTURE(bind.address, port);
  auto acceptor = listen_on(io, bind, port);

  CHECK(moltbot::test::answered(loopback_listeners(port)) == std::set<SocketInode>{inode_of(acceptor)});
  CHECK(ListenerOwnership().check(port, {::getpid()}).verdict == Verdict::owned);
  auto foreign = ListenerOwnership().check(port, {1});
  CHECK(foreign.verdict == Verdict::foreign);
  CHECK_THAT(foreign.description, Catch::Contains(pid_and_name(::getpid(), own_name())));
}

TEST_CASE("listener ownership: listeners a connection to 127.0.0.1 does not reach count as none") {
  asio::io_context io;
  int port = moltbot::test::find_free_port_block(1);
  auto bind = GENERATE(Bind{"::", true}, Bind{"::1", true}, Bind{"127.0.0.2"});
  CAPTURE(bind.address, port);
  auto acceptor = listen_on(io, bind, port);

  CHECK(moltbot::test::answered(loopback_listeners(port)).empty());
  auto check = ListenerOwnership().check(port, {::getpid()});
  CHECK(check.verdict == Verdict::no_listener);
  CHECK_THAT(check.description, Catch::Contains("nothing listens on port " + std::to_string(port)));
  acceptor.close();
  CHECK(moltbot::test::answered(loopback_listeners(port)).empty());
}

TEST_CASE("listener ownership: a foreign holder is named by pid and process name") {
  asio::io_context io;
  int port = moltbot::test::find_free_port_block(1);
  auto acceptor = listen_on(io, {"0.0.0.0"}, port);
  Sleeper sleeper(acceptor);

  auto check = ListenerOwnership().check(port, {::getpid()});
  CHECK(check.verdict == Verdict::foreign);
  CHECK_THAT(check.description, Catch::Contains(pid_and_name(sleeper.pid(), "sleep")));
  CHECK(ListenerOwnership().check(port, {::getpid(), sleeper.pid()}).verdict == Verdict::owned);
}

TEST_CASE("listener ownership: the remembered owner holds only for the same socket and the same child") {
  asio::io_context io;
  int port = moltbot::test::find_free_port_block(1);
  ListenerOwnership ownership;
  auto first = listen_on(io, {"127.0.0.1"}, port);
  REQUIRE(ownership.check(port, {::getpid()}).verdict == Verdict::owned);

  SECTION("the same socket for the same child is not looked for in /proc again") {
    // Handing the very socket to another process is what the check no longer notices: gateways
    // do not pass their listener on, and re-reading every descriptor on each probe was the cost.
    // Nor is the child's family asked for (issue 22: most of a probe's cost).
    Sleeper sleeper(first);
    int asked = 0;
    auto family = [&] {
      ++asked;
      return std::vector<pid_t>{::getpid()};
    };
    CHECK(ownership.check(port, ::getpid(), family).verdict == Verdict::owned);
    CHECK(asked == 0);
    CHECK(ListenerOwnership().check(port, {::getpid()}).verdict == Verdict::foreign);
  }
  SECTION("a new socket on the port is checked afresh") {
    first.close();
    auto second = listen_on(io, {"127.0.0.1"}, port);
    Sleeper sleeper(second);
    auto check = ownership.check(port, {::getpid()});
    CHECK(check.verdict == Verdict::foreign);
    CHECK_THAT(check.description, Catch::Contains(pid_and_name(sleeper.pid(), "sleep")));
  }
  SECTION("another child is checked afresh") {
    Sleeper sleeper(first);
    CHECK(ownership.check(port, {sleeper.pid()}).verdict == Verdict::owned);
    CHECK(ownership.check(port, {::getpid()}).verdict == Verdict::foreign);
  }
  SECTION("a listener gone and back is checked afresh") {
    first.close();
    CHECK(ownership.check(port, {::getpid()}).verdict == Verdict::no_listener);
    auto second = listen_on(io, {"::"}, port);
    Sleeper sleeper(second);
    CHECK(ownership.check(port, {::getpid()}).verdict == Verdict::foreign);
  }
}

TEST_CASE("listener ownership: the lookups of one turn of the loop share a socket, closed when the turn ends") {
  asio::io_context io;
  int port = moltbot::test::find_free_port_block(1);
  auto listener = listen_on(io, {"127.0.0.1"}, port);
  const std::set<SocketInode> expected{inode_of(listener)};
  kept_diagnostics_socket().drop();

  SECTION("without an end of turn (tools, tests), each lookup closes its socket") {
    CHECK(moltbot::test::answered(loopback_listeners(port)) == expected);
    CHECK_FALSE(kept_diagnostics_socket().drop());
  }
  SECTION("with one, exact lookups and dumps take turns on one socket until the turn's end runs") {
    struct Unset {
      ~Unset() { close_at_end_of_turn(nullptr); }
    } unset;
    int closings = 0;
    close_at_end_of_turn([&](std::function<void()> close) {
      ++closings;
      asio::post(io, std::move(close));
    });
    auto kept_inode = [] {
      struct stat status {};
      ::fstat(kept_diagnostics_socket().get(), &status);
      return status.st_ino;
    };
    CHECK(moltbot::test::answered(loopback_listeners(port)) == expected);
    const auto kept = kept_inode();
    for (int round = 0; round < 3; ++round) {
      auto dumped = moltbot::test::answered(listeners_in_range(port, port));
      REQUIRE(dumped.size() == 1);
      CHECK(dumped.front().inode == *expected.begin());
      CHECK(moltbot::test::answered(loopback_listeners(port)) == expected);
      CHECK(kept_inode() == kept);
    }
    CHECK(closings == 1);
    io.run();
    CHECK_FALSE(kept_diagnostics_socket().drop());  // closed by the turn's end
  }
}
