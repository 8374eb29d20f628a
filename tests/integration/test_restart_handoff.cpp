// The supervisor's side of the gateway's restart-handoff protocol against real processes: short
// CLI runs on the event loop, the capabilities cache, and how answers (of the real gateway's
// shape) are read; plus the startup probe against a real socket.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>

#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/health_probe.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/restart_handoff.h"
#include "moltbot/test/temp_dir.h"
#include "runtime_test_loop.h"

using namespace moltbot::runtime;
using moltbot::test::run_until;
using moltbot::test::shell;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using moltbot::config::RestartMode;

namespace {

// Neither gone nor a zombie.
bool runs(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() && text[close_paren + 2] != 'Z';
}

CliOutcome exited(int code, std::string output, std::string error_tail = {}) {
  return {ExitStatus::exited(code), std::move(output), std::move(error_tail), {}};
}

// What openclaw@2026.9.6 prints (pretty-printed JSON).
constexpr const char* real_capabilities = R"({
  "ok": true,
  "protocol": "openclaw.gateway.restart-handoff",
  "protocolVersion": 1,
  "operations": [
    "consume"
  ]
})";

}  // namespace

TEST_CASE("cli run: stdout captured, stderr's last line kept, exit collected") {
  asio::io_context io;
  Reaper reaper(io);
  std::optional<CliOutcome> outcome;
  run_cli(io, reaper, shell("echo '{\"a\":1}'; echo first >&2; echo 'the reason' >&2; exit 3"), 5s,
          [&](CliOutcome o) { outcome = std::move(o); });
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  REQUIRE(outcome->exit);
  CHECK(outcome->exit->code == 3);
  CHECK(outcome->output == "{\"a\":1}\n");
  CHECK(outcome->error_tail == "the reason");
  CHECK(outcome->describe() == "exit status 3: the reason");
}

TEST_CASE("cli run: output beyond the bound is read but not kept") {
  asio::io_context io;
  Reaper reaper(io);
  std::optional<CliOutcome> outcome;
  run_cli(io, reaper, shell("head -c 300000 /dev/zero | tr '\\0' x"), 5s, [&](CliOutcome o) { outcome = std::move(o); });
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  REQUIRE(outcome->exit);
  CHECK(outcome->exit->code == 0);  // never blocked on a full pipe
  CHECK(outcome->output.size() == max_cli_output);
}

TEST_CASE("cli run: a hung command is killed with its process group at the deadline") {
  asio::io_context io;
  Reaper reaper(io);
  std::optional<CliOutcome> outcome;
  moltbot::test::TempDir dir("moltbot-cli-run");
  const auto pid_file = dir.path() / "grandchild.pid";
  run_cli(io, reaper, shell("sleep 60 & echo $! > " + pid_file.string() + "; wait"), 300ms,
          [&](CliOutcome o) { outcome = std::move(o); });
  const auto asked = std::chrono::steady_clock::now();
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  CHECK(std::chrono::steady_clock::now() - asked >= 300ms);
  CHECK_FALSE(outcome->exit);
  CHECK(outcome->describe() == "timed out after 300 ms");
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  REQUIRE(grandchild > 0);
  // The grandchild went with the group (init reaps it, or leaves it a zombie: either way it no
  // longer runs).
  CHECK(run_until(io, [&] { return !runs(grandchild); }));
}

TEST_CASE("cli run: a program that cannot start is reported later from the loop") {
  asio::io_context io;
  Reaper reaper(io);
  std::optional<CliOutcome> outcome;
  run_cli(io, reaper, {{"/nonexistent/openclaw"}, {{"PATH", "/usr/bin:/bin"}}, "/"}, 5s,
          [&](CliOutcome o) { outcome = std::move(o); });
  CHECK_FALSE(outcome);
  REQUIRE(run_until(io, [&] { return outcome.has_value(); }));
  CHECK_FALSE(outcome->exit);
  CHECK_THAT(outcome->describe(), Catch::Contains("/nonexistent/openclaw"));
}

TEST_CASE("capabilities: protocol 1 with consume means external mode, anything else in-process, with why") {
  auto support = parse_capabilities(exited(0, real_capabilities));
  CHECK(support.mode == RestartMode::external);
  CHECK(support.detail == "restart-handoff protocol 1 (consume)");

  // A runtime warning before the JSON does not hide it.
  CHECK(parse_capabilities(exited(0, std::string("(node) warning\n") + real_capabilities)).mode ==
        RestartMode::external);

  auto unknown = parse_capabilities(exited(2, "", "error: unknown command 'restart-handoff'"));
  CHECK(unknown.mode == RestartMode::in_process);
  CHECK(unknown.detail == "capabilities probe: exit status 2: error: unknown command 'restart-handoff'");

  auto later = parse_capabilities(exited(0, R"({"ok":true,"protocolVersion":2,"operations":["consume"]})"));
  CHECK(later.mode == RestartMode::in_process);
  CHECK_THAT(later.detail, Catch::Contains("no protocol version 1"));

  CHECK(parse_capabilities(exited(0, R"({"ok":true,"protocolVersion":1,"operations":[]})")).mode ==
        RestartMode::in_process);
  CHECK(parse_capabilities(exited(0, "usage: gateway [options]")).detail ==
        "capabilities probe: no JSON object in its output");
  CHECK(parse_capabilities(CliOutcome{{}, {}, {}, "timed out after 60000 ms"}).detail ==
        "capabilities probe: timed out after 60000 ms");
}

TEST_CASE("consume: accepted, none, rejected and errors, as the real gateway answers them") {
  auto accepted = parse_consume(exited(0, R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,
    "status":"accepted","handoff":{"kind":"gateway-supervisor-restart-handoff","version":1,"intentId":"x","pid":42,
    "createdAt":1,"expiresAt":60001,"reason":"gateway.restart","source":"operator-restart","restartKind":"full-process",
    "supervisorMode":"external"}})"));
  CHECK(accepted.accepted);
  CHECK(accepted.detail == "restart handoff accepted: reason gateway.restart, source operator-restart");

  auto none = parse_consume(exited(0, R"({"ok":true,"status":"none","reason":"missing"})"));
  CHECK_FALSE(none.accepted);
  CHECK(none.detail == "no restart handoff: none (missing)");

  auto other = parse_consume(exited(0, R"({"ok":true,"status":"rejected","reason":"pid-mismatch","handoffPid":7})"));
  CHECK_FALSE(other.accepted);
  CHECK(other.detail == "no restart handoff: rejected (pid-mismatch, handoff of pid 7)");

  auto bad_pid = parse_consume(exited(2, R"({"ok":false,"status":"error","reason":"invalid-expected-pid"})"));
  CHECK_FALSE(bad_pid.accepted);
  CHECK(bad_pid.detail == "consume failed: exit status 2 (invalid-expected-pid)");

  auto store = parse_consume(exited(1, R"({"ok":false,"status":"error","reason":"store-unavailable"})", "EACCES"));
  CHECK_FALSE(store.accepted);
  CHECK(store.detail == "consume failed: exit status 1: EACCES (store-unavailable)");

  // An "accepted" that does not come with exit 0 is no acceptance.
  CHECK_FALSE(parse_consume(exited(1, R"({"status":"accepted"})")).accepted);
  CHECK_FALSE(parse_consume(CliOutcome{{}, {}, {}, "timed out after 60000 ms"}).accepted);
}

TEST_CASE("capabilities cache: one probe per program and modification time, shared by its askers") {
  asio::io_context io;
  Reaper reaper(io);
  moltbot::test::TempDir dir("moltbot-handoff-cache");
  const auto counter = dir.path() / "probes";
  const auto cli = dir.write("gateway-cli", std::string("#!/bin/sh\necho probe >> ") + counter.string() +
                                                "\nsleep 0.2\ncat <<'EOF'\n" + real_capabilities + "\nEOF\n");
  ::chmod(cli.c_str(), 0755);
  auto cache = std::make_shared<HandoffSupportCache>(io, reaper);
  SpawnRequest probe{{cli.string(), "gateway", "restart-handoff", "capabilities", "--json"},
                     {{"PATH", "/usr/bin:/bin"}},
                     "/"};
  auto probes_run = [&] {
    std::ifstream in(counter);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  };

  CHECK_FALSE(cache->known(cli.string()));
  std::vector<HandoffSupport> answers;
  cache->ask(probe, [&](const HandoffSupport& support) { answers.push_back(support); });
  cache->ask(probe, [&](const HandoffSupport& support) { answers.push_back(support); });
  REQUIRE(run_until(io, [&] { return answers.size() == 2; }));
  CHECK(answers[0].mode == RestartMode::external);
  CHECK(answers[1].mode == RestartMode::external);
  CHECK(probes_run() == 1);
  auto known = cache->known(cli.string());
  REQUIRE(known);
  CHECK(known->mode == RestartMode::external);

  // An upgrade in place (a new modification time) is asked again.
  timespec times[2] = {{0, UTIME_NOW}, {1, 0}};
  REQUIRE(::utimensat(AT_FDCWD, cli.c_str(), times, 0) == 0);
  CHECK_FALSE(cache->known(cli.string()));
  answers.clear();
  cache->ask(probe, [&](const HandoffSupport& support) { answers.push_back(support); });
  REQUIRE(run_until(io, [&] { return answers.size() == 1; }));
  CHECK(probes_run() == 2);

  // A program that is gone is known: in-process, with why.
  auto missing = cache->known((dir.path() / "gone").string());
  REQUIRE(missing);
  CHECK(missing->mode == RestartMode::in_process);
  CHECK_THAT(missing->detail, Catch::Contains("No such file"));
}

TEST_CASE("startup probe: started, starting with its pending reason, not served, draining") {
  CHECK(judge_startup(200, R"({"ok":true,"status":"started","version":"2026.9.6","uptimeMs":6992})").ok);
  auto starting =
      judge_startup(503, R"({"ok":false,"status":"starting","version":"2026.9.6","uptimeMs":2455,"pendingReason":"startup-sidecars"})");
  CHECK_FALSE(starting.ok);
  CHECK(starting.detail == "starting: startup-sidecars");
  auto not_served = judge_startup(404, "Not Found");
  CHECK(not_served.ok);
  CHECK(not_served.detail == "startup path not served");
  CHECK(judge_startup(503, R"({"ok":false,"status":"draining"})").detail == "draining");
  CHECK(judge_startup(500, "<html>").detail == "HTTP 500 without a startup status");

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::socket peer(io);
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
      R"({"ok":false,"status":"starting","pendingReason":"startup-sidecars"})";
  acceptor.async_accept(peer, [&](const boost::system::error_code& error) {
    if (error) return;
    asio::write(peer, asio::buffer(answer));
    peer.close();
  });
  std::optional<ProbeResult> result;
  probe_startup(io, acceptor.local_endpoint().port(), "/startupz", 2000ms, [&](ProbeResult r) { result = r; });
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  CHECK_FALSE(result->ok);
  CHECK(result->detail == "starting: startup-sidecars");
}
