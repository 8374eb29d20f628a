// moltbot-gateway run as a process: endpoints, resolution of profile/env/config, the
// single-instance lock, exit statuses, loopback-only browser control, atomic state writes under
// kill -9, graceful SIGTERM, and every test fault (docs/gateway.md).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <iterator>
#include <random>
#include <thread>

#include "gateway_fixture.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace std::chrono_literals;
using moltbot::test::ChildProcess;
using moltbot::test::ExitStatus;
using moltbot::test::GatewayFixture;
using moltbot::test::http_get;
using moltbot::test::listening_addresses;
using moltbot::test::mode_of;
using moltbot::test::stderr_contains;
using moltbot::test::ListeningSocket;
using moltbot::test::read_file;
using moltbot::test::wait_until;
using nlohmann::json;

namespace {

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0; }

// Kills and reaps a process this test adopted as subreaper, even when an assertion fails first.
class AdoptedProcess {
 public:
  explicit AdoptedProcess(pid_t pid) : pid_(pid) {}
  ~AdoptedProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  AdoptedProcess(const AdoptedProcess&) = delete;
  AdoptedProcess& operator=(const AdoptedProcess&) = delete;

  // Ends it with SIGTERM and returns its wait status.
  int terminate() {
    int status = 0;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_;
};

}  // namespace

TEST_CASE("answers the real gateway's endpoints and reports its footprint in /status") {
  GatewayFixture gateway;
  auto child = gateway.start("alpha");
  REQUIRE(GatewayFixture::wait_healthy(gateway.port));

  auto health = http_get("127.0.0.1", gateway.port, "/healthz");
  REQUIRE(health.ok());
  CHECK(health.response->body == R"({"ok":true,"status":"live"})");

  auto ready = http_get("127.0.0.1", gateway.port, "/readyz");
  REQUIRE(ready.ok());
  json ready_body = json::parse(ready.response->body);
  CHECK(ready_body["ready"] == true);
  CHECK(ready_body["failing"].empty());

  auto startup = http_get("127.0.0.1", gateway.port, "/startupz");
  REQUIRE(startup.ok());
  CHECK(json::parse(startup.response->body)["status"] == "started");

  CHECK(http_get("127.0.0.1", gateway.port, "/nope").response->status == 404);

  json status = GatewayFixture::status(gateway.port);
  const auto state_dir = gateway.state_dir("alpha");
  CHECK(status["profile"] == "alpha");
  CHECK(status["pid"] == child->pid());
  CHECK(status["uptime_s"].is_number_integer());
  CHECK(status["state_dir"] == state_dir.string());
  CHECK(status["config_path"] == (state_dir / "openclaw.json").string());
  CHECK(status["workspace"] == (state_dir / "workspace").string());
  const int p = gateway.port;
  CHECK(status["ports"] == json{{"gateway", p},         {"bridge", p + 1},     {"browser_control", p + 2},
                                {"extension_relay", p + 3}, {"canvas", p + 4}, {"cdp_start", p + 11},
                                {"cdp_end", p + 110}});

  auto browser = http_get("127.0.0.1", p + 2, "/");
  REQUIRE(browser.ok());
  CHECK(json::parse(browser.response->body)["service"] == "browser-control");
  auto canvas = http_get("127.0.0.1", p + 4, "/");
  REQUIRE(canvas.ok());
  CHECK(json::parse(canvas.response->body)["service"] == "canvas-host");

  SECTION("it creates its state dir and workspace private (0700)") {
    CHECK(mode_of(state_dir) == 0700u);
    CHECK(mode_of(state_dir / "workspace") == 0700u);
  }
  SECTION("the profile named default uses ~/.openclaw, as `openclaw` without --profile") {
    GatewayFixture other;
    auto default_child = other.start_with({"--port", std::to_string(other.port)});
    REQUIRE(GatewayFixture::wait_healthy(other.port));
    json default_status = GatewayFixture::status(other.port);
    CHECK(default_status["profile"] == "default");
    CHECK(default_status["state_dir"] == (other.home.path() / ".openclaw").string());
    CHECK(default_status["config_path"] == (other.home.path() / ".openclaw/openclaw.json").string());
    CHECK(default_status["workspace"] == (other.home.path() / ".openclaw/workspace").string());
  }
}

TEST_CASE("resolves paths and the port with the real gateway's precedence") {
  GatewayFixture gateway;
  const auto home = gateway.home.path();
  const std::string p = std::to_string(gateway.port);

  SECTION("*_STATE_DIR and *_CONFIG_PATH beat the profile defaults; OPENCLAW_ beats MOLTBOT_ beats CLAWDBOT_") {
    auto child = gateway.start("beta", {{"CLAWDBOT_STATE_DIR", (home / "claw-state").string()},
                                        {"MOLTBOT_STATE_DIR", (home / "molt-state").string()},
                                        {"OPENCLAW_STATE_DIR", (home / "open-state").string()},
                                        {"CLAWDBOT_CONFIG_PATH", (home / "claw.json").string()},
                                        {"MOLTBOT_CONFIG_PATH", (home / "molt.json").string()}});
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    json status = GatewayFixture::status(gateway.port);
    CHECK(status["state_dir"] == (home / "open-state").string());
    CHECK(status["config_path"] == (home / "molt.json").string());
    CHECK(std::filesystem::is_directory(home / "open-state"));
    CHECK_FALSE(std::filesystem::exists(home / "claw-state"));
  }
  SECTION("*_GATEWAY_PORT is used without --port, and --port beats it") {
    auto from_env = gateway.start_with({"--profile", "gamma"}, {{"CLAWDBOT_GATEWAY_PORT", p}});
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    CHECK(GatewayFixture::status(gateway.port)["ports"]["canvas"] == gateway.port + 4);
    from_env->signal(SIGTERM);
    REQUIRE(from_env->wait_for_exit(2s));

    GatewayFixture other;
    auto from_flag = other.start("gamma", {{"OPENCLAW_GATEWAY_PORT", p}});
    REQUIRE(GatewayFixture::wait_healthy(other.port));
    CHECK(GatewayFixture::status(other.port)["ports"]["gateway"] == other.port);
  }
  SECTION("the config file (comments allowed) pins its port, browser/canvas ports and workspace") {
    const int base = gateway.port;
    gateway.home.write(".openclaw-delta/openclaw.json",
                       "// written by hand\n{\n  \"gateway\": {\"port\": " + p +
                           "},  /* --port would win */\n"
                           "  \"browser\": {\"controlPort\": " + std::to_string(base + 20) + "},\n"
                           "  \"canvasHost\": {\"port\": " + std::to_string(base + 21) + "},\n"
                           "  \"agents\": {\"defaults\": {\"workspace\": \"~/work/delta\"}}\n}\n");
    auto child = gateway.start_with({"--profile", "delta"});
    REQUIRE(GatewayFixture::wait_healthy(base));
    json status = GatewayFixture::status(base);
    CHECK(status["ports"]["browser_control"] == base + 20);
    CHECK(status["ports"]["canvas"] == base + 21);
    CHECK(status["ports"]["cdp_start"] == base + 29);
    CHECK(status["workspace"] == (home / "work/delta").string());
    CHECK(mode_of(home / "work/delta") == 0700u);
    CHECK(http_get("127.0.0.1", base + 20, "/").ok());
    CHECK(http_get("127.0.0.1", base + 21, "/").ok());
  }
  SECTION("an invalid config file exits 78 (EX_CONFIG) naming the file") {
    auto config = gateway.home.write(".openclaw-eps/openclaw.json", "{\"gateway\": {\"port\": \"high\"}}");
    auto child = gateway.start("eps");
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->code == 78);
    CHECK(stderr_contains(*child, config.string() + ": gateway.port must be a port number"));
  }
  SECTION("bad arguments exit 2") {
    auto unknown = gateway.start_with({"--frobnicate"});
    auto bad_name = gateway.start_with({"--profile", "no/slashes"});
    auto bad_port = gateway.start_with({"--port", "70000"});
    for (auto* child : {unknown.get(), bad_name.get(), bad_port.get()}) {
      auto exit = child->wait_for_exit(5s);
      REQUIRE(exit);
      CHECK(exit->code == 2);
    }
    CHECK(stderr_contains(*unknown, "unknown argument \"--frobnicate\""));
    CHECK(stderr_contains(*bad_name, "invalid profile name \"no/slashes\""));
  }
}

TEST_CASE("a second gateway on the same state and config exits 78, and the lock never goes stale") {
  GatewayFixture gateway;
  GatewayFixture other_ports;
  auto first = gateway.start("main");
  REQUIRE(GatewayFixture::wait_healthy(gateway.port));
  const std::string lock_file = GatewayFixture::status(gateway.port)["lock_file"];

  // Different port, same HOME and profile: only the lock can stop it.
  auto second = gateway.start_with({"--profile", "main", "--port", std::to_string(other_ports.port)});
  auto exit = second->wait_for_exit(5s);
  REQUIRE(exit);
  CHECK(exit->code == 78);
  CHECK(stderr_contains(*second, "another gateway instance (pid " + std::to_string(first->pid()) + ")"));
  CHECK(stderr_contains(*second, "lock " + lock_file + " is held"));
  CHECK(listening_addresses(other_ports.port).empty());

  SECTION("kill -9 of the holder frees the lock at once") {
    first->signal(SIGKILL);
    REQUIRE(first->wait_for_exit(5s));
    auto third = gateway.start_with({"--profile", "main", "--port", std::to_string(other_ports.port)});
    CHECK(GatewayFixture::wait_healthy(other_ports.port));
  }
  SECTION("another config path in the same state dir is another instance") {
    auto own_config = gateway.start_with(
        {"--profile", "main", "--port", std::to_string(other_ports.port)},
        {{"MOLTBOT_CONFIG_PATH", (gateway.home.path() / "main-2.json").string()}});
    CHECK(GatewayFixture::wait_healthy(other_ports.port));
  }
}

TEST_CASE("a taken gateway port exits 1 with the real gateway's message") {
  GatewayFixture gateway;
  ListeningSocket squatter(gateway.port);
  auto child = gateway.start("zeta");
  auto exit = child->wait_for_exit(5s);
  REQUIRE(exit);
  CHECK(exit->code == 1);
  CHECK(stderr_contains(*child, "another gateway instance is already listening on ws://127.0.0.1:" +
                                    std::to_string(gateway.port)));

  SECTION("so does a taken browser control port, naming it") {
    GatewayFixture other;
    ListeningSocket browser_squatter(other.port + 2);
    auto blocked = other.start("eta");
    auto blocked_exit = blocked->wait_for_exit(5s);
    REQUIRE(blocked_exit);
    CHECK(blocked_exit->code == 1);
    CHECK(stderr_contains(*blocked, "port " + std::to_string(other.port + 2) + " (browser control) is already in use"));
    CHECK(listening_addresses(other.port).empty());
  }
}

TEST_CASE("browser control listens on 127.0.0.1 only, even with --bind lan") {
  GatewayFixture gateway;
  const int p = gateway.port;
  SECTION("--bind loopback (the default): everything on 127.0.0.1") {
    auto child = gateway.start("theta");
    REQUIRE(GatewayFixture::wait_healthy(p));
    CHECK(listening_addresses(p) == std::vector<std::string>{"127.0.0.1"});
    CHECK(listening_addresses(p + 2) == std::vector<std::string>{"127.0.0.1"});
    CHECK(listening_addresses(p + 4) == std::vector<std::string>{"127.0.0.1"});
  }
  SECTION("--bind lan: gateway and canvas on every address, browser control still loopback") {
    auto child = gateway.start("theta", {}, {"--bind", "lan"});
    REQUIRE(GatewayFixture::wait_healthy(p));
    CHECK(listening_addresses(p) == std::vector<std::string>{"0.0.0.0"});
    CHECK(listening_addresses(p + 2) == std::vector<std::string>{"127.0.0.1"});
    CHECK(listening_addresses(p + 4) == std::vector<std::string>{"0.0.0.0"});
  }
}

TEST_CASE("the state file is always whole, whenever kill -9 strikes") {
  GatewayFixture gateway;
  // churn_state rewrites the file every millisecond, so kills land in the middle of writes.
  const std::map<std::string, std::string> churn{{"MOLTBOT_GATEWAY_TEST_FAULTS", "churn_state=1ms"}};
  const auto state_dir = gateway.state_dir("iota");
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> kill_after_us(0, 50000);
  long long highest_writes = 0;
  int whole_files_seen = 0;

  for (int round = 0; round < 25; ++round) {
    auto child = gateway.start("iota", churn);
    if (round % 5 != 0) {
      // Most rounds: kill while churning. Every fifth: kill during start-up, at once.
      REQUIRE(GatewayFixture::wait_healthy(gateway.port));
      std::this_thread::sleep_for(std::chrono::microseconds(kill_after_us(random)));
    }
    child->signal(SIGKILL);
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    REQUIRE(exit->signal == SIGKILL);

    if (!std::filesystem::exists(state_dir)) continue;  // killed before it made its folders
    for (const auto& entry : std::filesystem::directory_iterator(state_dir)) {
      const std::string name = entry.path().filename().string();
      if (!name.ends_with(".state.json")) continue;  // the .tmp file may be torn: it is never read
      const std::string text = read_file(entry.path());
      json state = json::parse(text, nullptr, false);
      INFO("round " << round << ": " << text);
      REQUIRE_FALSE(state.is_discarded());
      CHECK(state["profile"] == "iota");
      CHECK(state["ports"]["gateway"] == gateway.port);
      highest_writes = std::max(highest_writes, state["writes"].get<long long>());
      ++whole_files_seen;
    }
  }
  CHECK(whole_files_seen >= 20);
  // The kills did hit a gateway that kept rewriting the file (writing "live" is the first).
  CHECK(highest_writes > 2);
}

TEST_CASE("SIGTERM: stops accepting, finishes the request in flight, exits 0 within a second") {
  GatewayFixture gateway;
  auto child = gateway.start("kappa", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "slow_reply=400ms"}});
  REQUIRE(GatewayFixture::wait_healthy(gateway.port, 10s));

  auto in_flight = std::async(std::launch::async, [&] { return http_get("127.0.0.1", gateway.port, "/status", 3s); });
  REQUIRE(wait_until([&] { return stderr_contains(*child, "delaying reply to GET /status"); }, 3s));
  const auto signalled = std::chrono::steady_clock::now();
  child->signal(SIGTERM);

  REQUIRE(wait_until([&] { return stderr_contains(*child, "SIGTERM: stopping"); }, 1s));
  auto refused = http_get("127.0.0.1", gateway.port, "/healthz", 500ms);
  CHECK_FALSE(refused.response);
  CHECK(refused.error == "Connection refused");

  auto reply = in_flight.get();
  REQUIRE(reply.ok());
  json status = json::parse(reply.response->body);
  CHECK(status["pid"] == child->pid());

  auto exit = child->wait_for_exit(1s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK(std::chrono::steady_clock::now() - signalled < 1s);

  json state = json::parse(read_file(status["state_file"].get<std::string>()));
  CHECK(state["phase"] == "stopped");
}

TEST_CASE("SIGTERM and SIGINT stop an idle gateway at once with status 0") {
  GatewayFixture gateway;
  for (int signal : {SIGTERM, SIGINT}) {
    auto child = gateway.start("lambda");
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    const auto signalled = std::chrono::steady_clock::now();
    child->signal(signal);
    auto exit = child->wait_for_exit(1s);
    REQUIRE(exit);
    CHECK(exit->code == 0);
    CHECK(std::chrono::steady_clock::now() - signalled < 500ms);
  }
}

TEST_CASE("test faults, switched on by MOLTBOT_GATEWAY_TEST_FAULTS") {
  GatewayFixture gateway;
  auto faults = [](const std::string& spec) {
    return std::map<std::string, std::string>{{"MOLTBOT_GATEWAY_TEST_FAULTS", spec}};
  };

  SECTION("exit_after: healthy, then exits with the given status") {
    auto child = gateway.start("mu", faults("exit_after=300ms:3"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->code == 3);
  }
  SECTION("crash_at_start: dies by SIGABRT before binding anything") {
    auto child = gateway.start("mu", faults("crash_at_start"));
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->signal == SIGABRT);
    CHECK(listening_addresses(gateway.port).empty());
  }
  SECTION("slow_start: holds the lock at once, answers only after the delay") {
    const auto started = std::chrono::steady_clock::now();
    auto child = gateway.start("mu", faults("slow_start=700ms"));
    REQUIRE(wait_until([&] { return stderr_contains(*child, "test fault slow_start"); }, 5s));
    GatewayFixture other_ports;
    auto duplicate = gateway.start_with({"--profile", "mu", "--port", std::to_string(other_ports.port)});
    auto duplicate_exit = duplicate->wait_for_exit(5s);
    REQUIRE(duplicate_exit);
    CHECK(duplicate_exit->code == 78);
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    CHECK(std::chrono::steady_clock::now() - started >= 700ms);
  }
  SECTION("stop_health_after: alive and listening, but /healthz is never answered") {
    auto child = gateway.start("mu", faults("stop_health_after=300ms"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    REQUIRE(wait_until([&] { return stderr_contains(*child, "no longer answering"); }, 5s));
    auto health = http_get("127.0.0.1", gateway.port, "/healthz", 500ms);
    CHECK_FALSE(health.response);
    CHECK(health.error == "timed out waiting for the reply");
    CHECK(child->running());
    child->signal(SIGTERM);
    auto exit = child->wait_for_exit(1s);
    REQUIRE(exit);
    CHECK(exit->code == 0);
  }
  SECTION("ignore_sigterm: SIGTERM is logged and ignored; SIGKILL still works") {
    auto child = gateway.start("mu", faults("ignore_sigterm"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    child->signal(SIGTERM);
    REQUIRE(wait_until([&] { return stderr_contains(*child, "ignoring SIGTERM"); }, 5s));
    CHECK(GatewayFixture::wait_healthy(gateway.port, 1s));
    CHECK_FALSE(child->wait_for_exit(300ms));
    child->signal(SIGKILL);
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->signal == SIGKILL);
  }
  SECTION("spawn_helper: a helper in its own session outlives a kill of the gateway's group") {
    // As a subreaper this test inherits the orphaned helper and can reap it.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto child = gateway.start("mu", faults("spawn_helper"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    json status = GatewayFixture::status(gateway.port);
    REQUIRE(status.contains("helper_pid"));
    const pid_t helper = status["helper_pid"];
    AdoptedProcess adopted(helper);
    CHECK(::getpgid(helper) == helper);
    CHECK(::getsid(helper) == helper);
    CHECK(::getpgid(helper) != ::getpgid(child->pid()));

    ::kill(-child->pid(), SIGKILL);
    REQUIRE(child->wait_for_exit(5s));
    CHECK(process_exists(helper));
    // The helper holds neither the lock nor a port: a new gateway starts while it lives.
    auto next = gateway.start("mu");
    CHECK(GatewayFixture::wait_healthy(gateway.port));

    int wait_status = adopted.terminate();
    CHECK(WIFSIGNALED(wait_status));
    CHECK(WTERMSIG(wait_status) == SIGTERM);
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
  }
  SECTION("double_fork_helpers: orphans from the start, outside the gateway's session and group") {
    // As a subreaper this test adopts them (they are nobody's children otherwise) and can reap them.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto child = gateway.start("mu", faults("double_fork_helpers=3,ignore_sigterm"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    json status = GatewayFixture::status(gateway.port);
    REQUIRE(status["detached_helper_pids"].size() == 3);
    std::vector<std::unique_ptr<AdoptedProcess>> adopted;
    for (const auto& pid : status["detached_helper_pids"]) {
      const pid_t helper = pid.get<pid_t>();
      adopted.push_back(std::make_unique<AdoptedProcess>(helper));
      // Adopted by this subreaper, not the gateway's child; named as the gateway is.
      CHECK_THAT(read_file("/proc/" + std::to_string(helper) + "/status"),
                 Catch::Contains("\nPPid:\t" + std::to_string(::getpid()) + "\n"));
      CHECK(::getsid(helper) != ::getsid(child->pid()));
      CHECK(::getpgid(helper) != ::getpgid(child->pid()));
      CHECK(read_file("/proc/" + std::to_string(helper) + "/comm") == "moltbot-gateway\n");
    }
    // They pass ignore_sigterm on: SIGTERM leaves them running.
    const pid_t first = status["detached_helper_pids"][0];
    REQUIRE(moltbot::test::ignores_signal(first, SIGTERM));
    ::kill(first, SIGTERM);
    CHECK_FALSE(wait_until([&] { return ::waitpid(first, nullptr, WNOHANG) == first; }, 300ms));
    adopted.clear();
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
  }
  SECTION("port_squatter: once the gateway is dead, a detached helper listens on its port") {
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto child = gateway.start("mu", faults("port_squatter"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    const pid_t squatter = GatewayFixture::status(gateway.port)["squatter_pid"];
    AdoptedProcess adopted(squatter);
    CHECK(::getsid(squatter) != ::getsid(child->pid()));

    child->signal(SIGKILL);
    REQUIRE(child->wait_for_exit(5s));
    REQUIRE(wait_until([&] { return stderr_contains(*child, "squatting port " + std::to_string(gateway.port)); }, 5s));
    CHECK(listening_addresses(gateway.port) == std::vector<std::string>{"127.0.0.1"});
    // A new gateway finds its port taken.
    auto next = gateway.start("mu");
    auto exit = next->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->code != 0);
    CHECK(stderr_contains(*next, "already listening on ws://127.0.0.1:" + std::to_string(gateway.port)));

    int wait_status = adopted.terminate();
    CHECK(WIFSIGNALED(wait_status));
    CHECK(WTERMSIG(wait_status) == SIGTERM);
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 0) == 0);
  }
  SECTION("hold_ports: also listens on the first CDP ports") {
    auto child = gateway.start("mu", faults("hold_ports=3"));
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    const int cdp = gateway.port + 11;
    CHECK(GatewayFixture::status(gateway.port)["held_ports"] == json{cdp, cdp + 1, cdp + 2});
    for (int port : {cdp, cdp + 1, cdp + 2}) CHECK(listening_addresses(port) == std::vector<std::string>{"127.0.0.1"});
    CHECK(listening_addresses(cdp + 3).empty());
  }
  SECTION("a malformed fault list exits 2 naming the item") {
    auto child = gateway.start("mu", faults("exit_after=soon"));
    auto exit = child->wait_for_exit(5s);
    REQUIRE(exit);
    CHECK(exit->code == 2);
    CHECK(stderr_contains(*child, "MOLTBOT_GATEWAY_TEST_FAULTS: \"exit_after=soon\""));
  }
}
