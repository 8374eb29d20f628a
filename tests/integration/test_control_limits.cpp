// The control socket's limits against the real daemon: a client that never reads its replies,
// and a supervisor that runs out of descriptors while clients keep connecting.
#include <poll.h>
#include <signal.h>
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
  // It stops accepting while the last descriptors are kept for its gateways (or accept() fails).
  REQUIRE(wait_until([&] { return supervisor.err().find("cannot accept connections") != std::string::npos; }, 10s));
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

TEST_CASE("a follower that falls behind is dropped with slow-reader, and what waits for it stays bounded") {
  // Each start of the profile writes 400 lines of 60,000 bytes (24 MB), then its pid.
  RunningFleet running(Profiles{
      {"chatty",
       main_profile({}, {{"command", R"([/bin/sh, -c, "for i in $(seq 400); do printf '%060000d\n' $i; done; echo done $$; exec sleep 600"])"},
                         {"health", "{type: none}"}})}});
  const pid_t supervisor = running.fleet.supervisor().pid();
  auto tail_has = [&](const std::string& text) {
    auto reply = running.connect();
    reply->send(request_line("logs", {{"profile", "chatty"}, {"lines", 5}}));
    // Lines beyond the reply's 64 KiB come first, each a `log` line; the newest are in the reply.
    auto answer = reply->read_line();
    while (answer && !answer->contains("ok")) answer = reply->read_line();
    return answer && answer->dump().find(text) != std::string::npos;
  };
  // Restarts chatty and waits until the new child's 24 MB have gone through the supervisor.
  auto restart_and_wait_output = [&](pid_t old_pid) {
    auto restart = running.connect();
    restart->send(request_line("restart", {{"target", "chatty"}}));
    REQUIRE(restart->read_line());
    REQUIRE(running.fleet.wait_status(
        "chatty", [&](const json& entry) { return entry["pid"] != old_pid && !entry["pid"].is_null(); }));
    const pid_t pid = running.fleet.status("chatty")["pid"].get<pid_t>();
    REQUIRE(wait_until([&] { return tail_has("done " + std::to_string(pid)); }, 20s));
    return pid;
  };
  const pid_t first = running.fleet.running_pid("chatty");
  REQUIRE(wait_until([&] { return tail_has("done " + std::to_string(first)); }, 20s));
  // The profile's in-memory tail is full of such lines already: it does not grow from here.
  const long rss_before = rss_kib(supervisor);

  auto stalled = running.connect();
  const int small = 4096;
  ::setsockopt(stalled->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  stalled->send(request_line("logs", {{"profile", "chatty"}, {"lines", 0}, {"follow", true}}));
  auto first_reply = stalled->read_line();
  REQUIRE(first_reply);
  REQUIRE((*first_reply)["ok"] == true);

  const pid_t second = restart_and_wait_output(first);

  // 24 MB went by a reader that took none of it: the supervisor kept at most 256 KiB of it. In a
  // sanitizer build freed memory stays resident (ASan's quarantine): reported there, not asserted.
  const long grown = rss_kib(supervisor) - rss_before;
  constexpr bool rss_asserted = !MOLTBOT_SANITIZED_BUILD;
  INFO("supervisor RSS grew by " << grown << " KiB");
  if (rss_asserted)
    CHECK(grown < 8 * 1024);
  else
    WARN("sanitizer build: supervisor RSS grew by " << grown << " KiB (not asserted)");

  std::optional<json> told;
  std::size_t log_lines = 0;
  while (auto line = stalled->read_line(5s)) {
    if (line->contains("error")) {
      told = line;
      break;
    }
    ++log_lines;
  }
  REQUIRE(told);
  CHECK((*told)["error"]["code"] == "slow-reader");
  // What the socket buffers held and what was queued (at most 256 KiB), not 400 lines.
  CHECK(log_lines < 16);
  CHECK(stalled->closed_by_server());

  // `logs -f` through the CLI, stopped for a while, says why its stream ended, and fails.
  auto follower = start_ctl(running.fleet, "slow-follower", {"logs", "chatty", "--follow", "-n", "1"});
  REQUIRE(wait_until([&] { return !follower->out().empty(); }, 5s));  // the reply: it follows now
  follower->signal(SIGSTOP);
  restart_and_wait_output(second);
  follower->signal(SIGCONT);
  auto ended = follower->wait_for_exit(20s);
  REQUIRE(ended);
  CHECK(ended->code == 1);
  CHECK_THAT(follower->err(), Catch::Contains("[slow-reader]") && Catch::Contains("connect again to follow"));
}

TEST_CASE("past 256 connections a new one is refused with too-many-connections, and served once one leaves") {
  RunningFleet running(Profiles{{"main", main_profile({}, {{"health", "{type: none}"}})}});
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 256; ++i) {
    clients.push_back(running.connect());
    REQUIRE(clients.back()->connected());
    clients.back()->send(request_line("status"));
    REQUIRE(ok_status(clients.back()->read_line()));
  }
  auto extra = running.connect();
  extra->send(request_line("status"));
  auto refused = extra->read_line();
  REQUIRE(refused);
  CHECK((*refused)["ok"] == false);
  CHECK((*refused)["error"]["code"] == "too-many-connections");
  CHECK_THAT((*refused)["error"]["message"].get<std::string>(),
             Catch::Contains("256 control connections are open, the most the supervisor serves at once"));
  CHECK(extra->closed_by_server());

  auto ctl = supervisorctl(running.fleet, {"status"});
  CHECK(ctl.exit_code == 1);
  CHECK_THAT(ctl.err, Catch::Contains("[too-many-connections]"));
  // The ones it serves are still served.
  clients.front()->send(request_line("status"));
  CHECK(ok_status(clients.front()->read_line()));
  CHECK(count_of(running.fleet.supervisor().err(), "refused a connection") == 1);

  clients.pop_back();
  CHECK(wait_until(
      [&] {
        auto next = running.connect();
        next->send(request_line("status"));
        return ok_status(next->read_line(2s));
      },
      5s));
}
