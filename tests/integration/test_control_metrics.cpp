// GET /metrics of a real supervisor (supervisor.metrics), scraped with real HTTP clients (the
// tests' own and curl): every profile's figures, a kill seen in the restart counter and the last
// exit code, the supervisor's own counters, promtool's verdict on the exposition and on the
// documented alert rules, and every request that is not a scrape.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "control_fixture.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// The value of the sample `series` (name and labels as the exposition writes them), or NaN.
double sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return std::nan("");
  return std::stod(text.substr(at + series.size() + 2));
}

std::string scrape(int port) {
  auto reply = http_get("127.0.0.1", port, "/metrics", 5s);
  REQUIRE(reply.ok());
  return reply.response->body;
}

// A supervisor serving /metrics on a free port.
struct MetricsFleet {
  explicit MetricsFleet(const Profiles& profiles) : fleet(profiles), port(fleet.spare_port()) {
    fleet.supervisor_yaml = "  metrics: 127.0.0.1:" + std::to_string(port) + "\n";
    fleet.write_manifest(profiles);
  }
  SupervisorFixture fleet;
  int port;
};

// Sends `request` as it is and returns whatever comes back until the server closes.
std::string raw_exchange(int port, const std::string& request, std::chrono::seconds timeout = 15s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval wait{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  if (!request.empty())
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
    reply.append(buffer, static_cast<std::size_t>(got));
  ::close(fd);
  return reply;
}

std::optional<std::string> promtool() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin"})
    if (::access((std::string(dir) + "/promtool").c_str(), X_OK) == 0) return std::string(dir) + "/promtool";
  return std::nullopt;
}

}  // namespace

TEST_CASE("GET /metrics: every profile's figures, and a kill in the restart counter") {
  MetricsFleet m(Profiles{{"main", main_profile("double_fork_helpers=1")}, {"rescue", rescue_profile()}});
  auto& fleet = m.fleet;
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);
  REQUIRE(wait_control_socket(fleet));
  for (pid_t helper : fleet.detached_helpers("main")) fleet.track(helper);
  CHECK_THAT(fleet.supervisor().err(),
             Contains("metrics: serving GET /metrics on http://127.0.0.1:" + std::to_string(m.port)));

  auto text = scrape(m.port);
  for (const char* profile : {R"(profile="main",role="main")", R"(profile="rescue",role="rescue")"}) {
    const std::string labels = std::string("{") + profile + "}";
    CHECK(sample(text, "moltbot_profile_up" + labels) == 1);
    CHECK(sample(text, "moltbot_profile_ready" + labels) == 1);
    CHECK(sample(text, "moltbot_profile_restarts_total" + labels) == 0);
    CHECK(sample(text, "moltbot_profile_planned_restarts_total" + labels) == 0);
    CHECK(sample(text, "moltbot_profile_state{" + std::string(profile) + ",state=\"running\"}") == 1);
    CHECK(sample(text, "moltbot_profile_state{" + std::string(profile) + ",state=\"fatal\"}") == 0);
    CHECK(sample(text, "moltbot_profile_resident_memory_bytes" + labels) > 0);
    CHECK(sample(text, "moltbot_profile_cpu_seconds_total" + labels) >= 0);
    CHECK(sample(text, "moltbot_profile_open_fds" + labels) > 0);
    CHECK(sample(text, "moltbot_profile_start_time_seconds" + labels) > 1.7e9);
    CHECK(sample(text, "moltbot_profile_health_probe_duration_seconds_count" + labels) >= 1);
    CHECK(sample(text,
                 "moltbot_profile_health_probe_duration_seconds_bucket{" + std::string(profile) + ",le=\"+Inf\"}") ==
          sample(text, "moltbot_profile_health_probe_duration_seconds_count" + labels));
  }
  CHECK(sample(text, R"(moltbot_profile_processes{profile="main",role="main"})") == 2);  // its helper counts
  CHECK(sample(text, R"(moltbot_profile_processes{profile="rescue",role="rescue"})") == 1);
  CHECK_THAT(text, !Contains("moltbot_profile_last_exit_code{"));  // nothing exited yet
  CHECK(sample(text, "moltbot_supervisor_resident_memory_bytes") > 0);
  CHECK(sample(text, "moltbot_supervisor_profiles") == 2);
  CHECK(sample(text, R"(moltbot_supervisor_reloads_total{result="applied"})") == 0);

  // The supervisor's own counters move with what it serves.
  REQUIRE(supervisorctl(fleet, {"status"}).exit_code == 0);
  REQUIRE(supervisorctl(fleet, {"reload"}).exit_code == 0);
  text = scrape(m.port);
  CHECK(sample(text, R"(moltbot_supervisor_control_requests_total{command="status"})") >= 1);
  CHECK(sample(text, R"(moltbot_supervisor_control_requests_total{command="reload"})") == 1);
  CHECK(sample(text, R"(moltbot_supervisor_reloads_total{result="applied"})") == 1);

  // A kill: the restart counter and the last exit code say so; rescue is untouched.
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  REQUIRE(fleet.wait_status("main", [&](const auto& s) { return s["state"] == "running" && s["pid"] != main_pid; }));
  text = scrape(m.port);
  CHECK(sample(text, R"(moltbot_profile_restarts_total{profile="main",role="main"})") == 1);
  CHECK(sample(text, R"(moltbot_profile_last_exit_code{profile="main",role="main"})") == 128 + SIGKILL);
  CHECK(sample(text, R"(moltbot_profile_restarts_total{profile="rescue",role="rescue"})") == 0);
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);

  // curl, as any scraper: the exposition's content type, the whole body.
  auto curl =
      run_process({{"/usr/bin/curl", "-sS", "-D", "-", "http://127.0.0.1:" + std::to_string(m.port) + "/metrics"},
                   {{"PATH", "/usr/bin:/bin"}},
                   std::nullopt});
  REQUIRE(curl.exit_code == 0);
  CHECK_THAT(curl.out, Contains("HTTP/1.1 200 OK\r\n") &&
                           Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8") &&
                           Contains("moltbot_profile_up{profile=\"main\",role=\"main\"} 1"));
}

TEST_CASE("promtool accepts the exposition and the documented alert rules") {
  const auto tool = promtool();
  if (!tool) {
    WARN("SKIPPED: promtool is not installed (Debian's prometheus package; scripts/install-deps.sh installs it)");
    return;
  }
  MetricsFleet m(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  m.fleet.start_supervisor();
  REQUIRE(m.fleet.running_pid("main") > 0);
  REQUIRE(m.fleet.running_pid("rescue") > 0);
  const auto exposition = m.fleet.dir.write("metrics.txt", scrape(m.port));
  auto checked = run_process({{"/bin/sh", "-c", *tool + " check metrics < " + exposition.string()},
                              {{"PATH", "/usr/bin:/bin"}},
                              std::nullopt});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK(checked.out.empty());  // no lint finding either
  CHECK(checked.err.empty());
  auto rules = run_process({{*tool, "check", "rules", MOLTBOT_SOURCE_DIR "/docs/moltbot-alerts.yml"},
                            {{"PATH", "/usr/bin:/bin"}},
                            std::nullopt});
  INFO(rules.out << rules.err);
  CHECK(rules.exit_code == 0);
  CHECK_THAT(rules.out, Contains("SUCCESS: 4 rules found"));
}

TEST_CASE("/metrics answers only scrapes, and drops a client that says nothing") {
  MetricsFleet m(Profiles{{"main", main_profile()}});
  m.fleet.start_supervisor();
  REQUIRE(m.fleet.running_pid("main") > 0);
  CHECK_THAT(raw_exchange(m.port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n"), Contains("HTTP/1.1 404 Not Found"));
  auto post = raw_exchange(m.port, "POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_THAT(post, Contains("HTTP/1.1 405 Method Not Allowed") && Contains("Allow: GET, HEAD"));
  auto head = raw_exchange(m.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK_THAT(head, Contains("HTTP/1.1 200 OK") && Contains("Content-Length: "));
  CHECK(head.ends_with("\r\n\r\n"));  // headers only
  CHECK_THAT(raw_exchange(m.port, "nonsense\r\n\r\n"), Contains("HTTP/1.1 400 Bad Request"));
  CHECK_THAT(raw_exchange(m.port, "GET /metrics HTTP/1.1\r\nX: " + std::string(9000, 'a')),
             Contains("HTTP/1.1 400 Bad Request"));
  // A query string is no other path; the connection closes after one reply.
  auto with_query = raw_exchange(m.port, "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n");
  CHECK_THAT(with_query, Contains("Connection: close"));
  CHECK(std::regex_search(with_query, std::regex("^HTTP/1.1 200 OK")));
  CHECK(with_query.find("HTTP/1.1", 5) == std::string::npos);
  // Silent: closed by the server within its 10 s, no reply.
  const auto began = std::chrono::steady_clock::now();
  CHECK(raw_exchange(m.port, "", 20s).empty());
  CHECK(std::chrono::steady_clock::now() - began < 15s);
  CHECK(http_get("127.0.0.1", m.port, "/metrics", 5s).ok());  // and serves on
}

TEST_CASE("a metrics port that is taken is said, and the fleet runs without it") {
  MetricsFleet m(Profiles{{"main", main_profile()}});
  ListeningSocket taken(m.port);
  m.fleet.start_supervisor();
  REQUIRE(m.fleet.running_pid("main") > 0);
  CHECK(wait_until(
      [&] { return m.fleet.supervisor().err().find("the fleet runs without /metrics") != std::string::npos; }, 5s));
  CHECK_THAT(m.fleet.supervisor().err(), Contains("metrics: cannot listen on 127.0.0.1:" + std::to_string(m.port)));
}
