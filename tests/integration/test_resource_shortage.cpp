// The supervisor's own shortages against the real system: this process out of descriptors or
// unable to fork. Every lookup the fleet relies on answers a Shortage (never an empty answer that
// would pass for "nobody listens"), a probe is inconclusive (never failed), a spawn needs no
// descriptor more than the supervisor has, and the ResourceGuard keeps its reserve and sheds in
// order.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "answered.h"
#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/health_probe.h"
#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/listener_ownership.h"
#include "moltbot/runtime/port_preflight.h"
#include "moltbot/runtime/resource_guard.h"
#include "moltbot/runtime/socket_table.h"
#include "moltbot/runtime/spawner.h"
#include "moltbot/test/process_limits.h"
#include "runtime_test_loop.h"

using namespace moltbot::runtime;
using moltbot::test::DescriptorsExhausted;
using moltbot::test::NoMoreProcesses;
using moltbot::test::run_until;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

template <typename T>
std::string shortage_message(const OrShortage<T>& result) {
  auto* shortage = std::get_if<Shortage>(&result);
  return shortage ? shortage->message : "answered";
}

}  // namespace

TEST_CASE("out of descriptors, socket and /proc lookups answer a shortage, never nobody") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  const int port = acceptor.local_endpoint().port();
  const auto inode = *moltbot::test::answered(loopback_listeners(port)).begin();
  moltbot::config::ProfilePorts ports;
  ports.gateway = port;
  ports.uses.push_back({"gateway", {port, port}, {}, false, {}});
  {
    DescriptorsExhausted exhausted;
    CHECK_THAT(shortage_message(loopback_listeners(port)), Catch::Contains("Too many open files"));
    CHECK_THAT(shortage_message(listeners_in_range(port, port)), Catch::Contains("Too many open files"));
    CHECK_THAT(shortage_message(owner_among({inode}, {::getpid()})), Catch::Contains("/fd: Too many open files"));
    CHECK_THAT(shortage_message(owner_anywhere({inode})), Catch::Contains("Too many open files"));
    CHECK_THAT(shortage_message(find_port_conflict(ports)), Catch::Contains("Too many open files"));
    auto check = ListenerOwnership().check(port, {::getpid()});
    CHECK(check.verdict == ListenerCheck::Verdict::unknown);
    REQUIRE(check.shortage);
    CHECK(check.shortage->error == EMFILE);
    CHECK_THAT(check.description, Catch::Contains("could not check who listens") &&
                                      Catch::Contains("Too many open files"));
  }
  // With room again, the same lookups see the listener and its owner.
  CHECK(ListenerOwnership().check(port, {::getpid()}).verdict == ListenerCheck::Verdict::owned);
  CHECK(moltbot::test::answered(find_port_conflict(ports)));
}

TEST_CASE("out of descriptors, a probe is inconclusive, not failed") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  const int port = acceptor.local_endpoint().port();
  std::vector<ProbeResult> results;
  drop_kept_sockets();  // a kept probe socket would connect without a new descriptor
  {
    DescriptorsExhausted exhausted;
    probe_tcp(io, port, 1000ms, [&](ProbeResult result) { results.push_back(std::move(result)); });
    probe_http(io, port, "/healthz", 1000ms, [&](ProbeResult result) { results.push_back(std::move(result)); });
    REQUIRE(run_until(io, [&] { return results.size() == 2; }));
  }
  for (const auto& result : results) {
    CHECK_FALSE(result.ok);
    REQUIRE(result.shortage);
    CHECK(result.shortage->error == EMFILE);
    CHECK(result.detail == "the supervisor could not probe: Too many open files");
  }
  // A refused connection is the gateway's failure, conclusively.
  acceptor.close();
  results.clear();
  probe_tcp(io, port, 1000ms, [&](ProbeResult result) { results.push_back(std::move(result)); });
  REQUIRE(run_until(io, [&] { return results.size() == 1; }));
  CHECK_FALSE(results[0].ok);
  CHECK_FALSE(results[0].shortage);
}

TEST_CASE("spawn at the descriptor limit: the child needs no descriptor more than the supervisor has") {
  pid_t pid = 0;
  {
    DescriptorsExhausted exhausted;
    auto spawned = spawn({{"/bin/sh", "-c", "exit 7"}, {}, "/", -1});
    REQUIRE(std::holds_alternative<pid_t>(spawned));
    pid = std::get<pid_t>(spawned);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
}

TEST_CASE("spawn when no process may be started is a shortage, not an error") {
  if (auto reason = NoMoreProcesses::unavailable()) {
    WARN("skipped: " << *reason);
    return;
  }
  Spawned spawned;
  {
    NoMoreProcesses capped(::getpid());
    spawned = spawn({{"/bin/true"}, {}, "/", -1});
  }
  REQUIRE(std::holds_alternative<Shortage>(spawned));
  CHECK(std::get<Shortage>(spawned).message == "cannot start a process: Resource temporarily unavailable");
  CHECK(std::get<Shortage>(spawned).error == EAGAIN);
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);  // nothing was started, nothing to reap
}

TEST_CASE("the resource guard: a reserve for the restart path, shedders asked in order, refilled later") {
  asio::io_context io;
  ResourceGuard guard(io);
  CHECK(guard.reserve_held() == ResourceGuard::reserve_size);
  CHECK(guard.room_for_optional());

  std::vector<std::pair<std::string, std::size_t>> asked;
  guard.add_shedder([&](std::size_t wanted) {
    asked.emplace_back("sessions", wanted);
    return ResourceGuard::Shed{3, "3 idle control connections"};
  });
  guard.add_shedder([&](std::size_t wanted) {
    asked.emplace_back("logs", wanted);
    return ResourceGuard::Shed{wanted, "log files"};
  });
  guard.add_shedder([&](std::size_t wanted) {
    asked.emplace_back("never", wanted);
    return ResourceGuard::Shed{};
  });

  {
    DescriptorsExhausted exhausted;
    CHECK_FALSE(guard.room_for_optional());  // the reserve is whole, but nothing besides it
    guard.shortage("starting profile main", shortage_of("pipe", EMFILE));
    CHECK(guard.reserve_held() == 0);
    // The reserve's descriptors are free for the retry that follows.
    std::vector<int> retry(ResourceGuard::reserve_size);
    for (auto& fd : retry) fd = ::dup(STDIN_FILENO);
    CHECK(std::count(retry.begin(), retry.end(), -1) == 0);
    for (int fd : retry) ::close(fd);
  }
  // Enough is asked for to refill the reserve with room to spare; the last shedder is not needed.
  const std::size_t wanted = ResourceGuard::reserve_size + ResourceGuard::optional_headroom;
  CHECK(asked == std::vector<std::pair<std::string, std::size_t>>{{"sessions", wanted}, {"logs", wanted - 3}});
  CHECK_FALSE(guard.room_for_optional());  // until the reserve is whole again

  const auto released = std::chrono::steady_clock::now();
  REQUIRE(run_until(io, [&] { return guard.reserve_held() == ResourceGuard::reserve_size; }, 5000ms));
  CHECK(std::chrono::steady_clock::now() - released >= ResourceGuard::refill_delay - 50ms);
  CHECK(guard.room_for_optional());
}

TEST_CASE("the resource guard sheds nothing for a shortage that descriptors cannot cure") {
  asio::io_context io;
  ResourceGuard guard(io);
  bool asked = false;
  guard.add_shedder([&](std::size_t) {
    asked = true;
    return ResourceGuard::Shed{};
  });
  for (int error : {EAGAIN, ENOMEM, ENOBUFS}) guard.shortage("starting profile main", shortage_of("fork", error));
  CHECK_FALSE(asked);
  CHECK(guard.reserve_held() == ResourceGuard::reserve_size);
  CHECK(guard.room_for_optional());
}

TEST_CASE("the resource guard refills its reserve only as descriptors come back") {
  asio::io_context io;
  ResourceGuard guard(io);
  DescriptorsExhausted exhausted;
  guard.shortage("health probe of profile main", shortage_of("probe socket", EMFILE));
  // The freed reserve is taken by others meanwhile (what the retry of the step did).
  std::vector<int> taken;
  for (int fd; (fd = ::dup(STDIN_FILENO)) >= 0;) taken.push_back(fd);
  CHECK(taken.size() == ResourceGuard::reserve_size);
  CHECK_FALSE(run_until(io, [&] { return guard.reserve_held() > 0; }, 1500ms));
  for (int fd : taken) ::close(fd);
  REQUIRE(run_until(io, [&] { return guard.reserve_held() == ResourceGuard::reserve_size; }, 3000ms));
}

TEST_CASE("a failure in the guard's own work (kind reserve) reaches no caller; the reserve is refilled later") {
  asio::io_context io;
  ResourceGuard guard(io);
  bool asked = false;
  guard.add_shedder([&](std::size_t) {
    asked = true;
    return ResourceGuard::Shed{};
  });

  // The relief of a shortage throws: nothing is released or shed, the caller goes on to its retry.
  REQUIRE_FALSE(configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", "reserve"}}));
  CHECK_NOTHROW(guard.shortage("starting profile main", shortage_of("pipe", EMFILE)));
  CHECK_FALSE(asked);
  CHECK(guard.reserve_held() == ResourceGuard::reserve_size);

  // The refill throws: it is tried again refill_delay later, and the reserve is whole again.
  guard.shortage("starting profile main", shortage_of("pipe", EMFILE));
  CHECK(asked);
  CHECK(guard.reserve_held() == 0);
  REQUIRE_FALSE(configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", "reserve"}}));
  const auto released = std::chrono::steady_clock::now();
  REQUIRE(run_until(io, [&] { return guard.reserve_held() == ResourceGuard::reserve_size; }, 5000ms));
  CHECK(std::chrono::steady_clock::now() - released >= 2 * ResourceGuard::refill_delay - 50ms);
  REQUIRE_FALSE(configure_test_throw({}));
}
