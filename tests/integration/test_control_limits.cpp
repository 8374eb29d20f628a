// The control socket's limits against the real daemon: a client that never reads its replies,
// and a supervisor that runs out of descriptors while clients keep connecting.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control_fixture.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct RunningFleet {
  explicit RunningFleet(const Profiles& profiles) : fleet(profiles) {
    fleet.start_supervisor();
    REQUIRE(wait_control_socket(fleet));
  }
  std::unique_ptr<RawConnection> connect() { return std::make_unique<RawConnection>(fleet.control_socket().string()); }
  SupervisorFixture fleet;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

bool ok_status(const std::optional<json>& reply) {
  return reply && reply->is_object() && reply->value("ok", false) && (*reply)["data"][0]["name"] == "main";
}

}  // namespace

TEST_CASE("a client that never reads its replies is no longer read from, and loses none of them") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  const pid_t supervisor = running.fleet.supervisor().pid();
  auto greedy = running.connect();
  greedy->send(request_line("status"));
  REQUIRE(ok_status(greedy->read_line()));
  const long rss_before = rss_kib(supervisor);

  // 200000 requests (8.8 MB), whose replies would be about 80 MB, written without reading any.
  const std::string line = request_line("status");
  std::string requests;
  for (int i = 0; i < 200000; ++i) requests += line;
  std::size_t written = 0;
  while (written < requests.size()) {
    auto sent = ::send(greedy->fd(), requests.data() + written, std::min<std::size_t>(requests.size() - written, 65536),
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent > 0) {
      written += static_cast<std::size_t>(sent);
      continue;
    }
    REQUIRE(errno == EAGAIN);
    // Nothing taken for a whole second: the supervisor has stopped reading this client.
    pollfd writable{greedy->fd(), POLLOUT, 0};
    if (::poll(&writable, 1, 1000) == 0) break;
  }
  INFO("written " << written << " of " << requests.size() << " bytes");
  CHECK(written < requests.size() / 4);
  // What waits for the client is bounded (256 KiB of replies and a request buffer), not 80 MB.
  CHECK(rss_kib(supervisor) - rss_before < 16 * 1024);

  // Everyone else is served meanwhile.
  for (int i = 0; i < 5; ++i) {
    auto other = running.connect();
    other->send(request_line("status"));
    CHECK(ok_status(other->read_line(2s)));
  }

  // Once the client reads, the supervisor reads again: one reply for every request, in order.
  const std::size_t whole = written / line.size();
  std::size_t replies = 0;
  while (replies < whole && ok_status(greedy->read_line(10s))) ++replies;
  CHECK(replies == whole);
  greedy->send(line.substr(written % line.size()));
  CHECK(ok_status(greedy->read_line()));
}

TEST_CASE("out of descriptors, the supervisor retries accept on a timer, warns once and serves everyone in the end") {
  // No probes: the lowered limit is meant for the control socket alone.
  RunningFleet running(Profiles{{"main", main_profile({}, {{"health", "{type: none}"}})}});
  REQUIRE(running.fleet.wait_state("main", "running"));
  auto& supervisor = running.fleet.supervisor();
  const pid_t pid = supervisor.pid();

  // Room for four more descriptors, then EMFILE.
  rlimit limit{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &limit) == 0);
  limit.rlim_cur = open_descriptors(pid) + 4;
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr) == 0);

  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 24; ++i) {
    clients.push_back(running.connect());  // queued by the kernel even when not accepted
    REQUIRE(clients.back()->connected());
    clients.back()->send(request_line("status"));
  }
  REQUIRE(wait_until([&] { return supervisor.err().find("Too many open files") != std::string::npos; }, 10s));
  CHECK_THAT(supervisor.err(), Catch::Contains("cannot accept connections"));
  CHECK(ok_status(clients.front()->read_line()));

  // A second with the listener ready and accept() failing: a supervisor that retried at once
  // would spin on a core and write a warning per attempt.
  const double cpu_before = cpu_time_ms(pid);
  std::this_thread::sleep_for(1s);
  CHECK(cpu_time_ms(pid) - cpu_before < 250);
  CHECK(count_of(supervisor.err(), "accept") == 1);
  // The clients it already has are served meanwhile.
  clients.front()->send(request_line("status"));
  CHECK(ok_status(clients.front()->read_line(2s)));

  // As clients leave, the waiting ones are accepted and answered, each in turn.
  clients.erase(clients.begin());
  std::size_t answered = 0;
  for (auto& client : clients) {
    if (ok_status(client->read_line(10s))) ++answered;
    client.reset();
  }
  CHECK(answered == clients.size());
  CHECK(count_of(supervisor.err(), "accept") == 1);
  CHECK(supervisorctl(running.fleet, {"status"}).exit_code == 0);
}
