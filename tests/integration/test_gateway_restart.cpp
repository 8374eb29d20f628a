// moltbot-gateway's restarts as processes (docs/gateway.md, "Restarts"): SIGUSR2 in external
// mode (drain, handoff record, exit 0) and in-process (same pid and port), SIGUSR1 ignored, the
// fallback when no handoff can be written, a stop during a restart, the startup phase of the
// startup_sidecars fault, and `gateway restart` in every mode and failure.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <future>

#include "gateway_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace std::chrono_literals;
using moltbot::test::ChildProcess;
using moltbot::test::GatewayFixture;
using moltbot::test::http_get;
using moltbot::test::listening_addresses;
using moltbot::test::mode_of;
using moltbot::test::ProcessResult;
using moltbot::test::read_file;
using moltbot::test::stderr_contains;
using moltbot::test::wait_until;
using nlohmann::json;

namespace {

using Env = std::map<std::string, std::string>;

Env with(Env env, const Env& more) {
  for (const auto& [name, value] : more) env[name] = value;
  return env;
}

const Env external{{"OPENCLAW_SUPERVISOR_MODE", "external"}, {"OPENCLAW_SERVICE_REPAIR_POLICY", "external"}};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

json consume(const GatewayFixture& gateway, const Env& env, long long pid) {
  ProcessResult run =
      gateway.run({"gateway", "restart-handoff", "consume", "--expected-pid", std::to_string(pid), "--json"}, env);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return json::parse(run.out);
}

// -1 while the gateway does not answer (between its listeners during a restart).
long long in_process_restarts(int port) {
  json status = GatewayFixture::status(port);
  return status.is_object() ? status.value("in_process_restarts", -1LL) : -1;
}

}  // namespace

TEST_CASE("SIGUSR2 in external mode: drains, leaves a handoff that consume accepts exactly once, exits 0") {
  GatewayFixture gateway;
  const Env env = with(gateway.profile_env("main"), external);
  auto child = gateway.start_with({"--profile", "main", "gateway"}, env);
  REQUIRE(GatewayFixture::wait_started(gateway.port));
  CHECK(GatewayFixture::status(gateway.port)["restart_mode"] == "external-supervisor");
  const pid_t pid = child->pid();

  child->signal(SIGUSR2);
  auto exit = child->wait_for_exit(5s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK(stderr_contains(*child, "received SIGUSR2; restarting (reason SIGUSR2)"));
  CHECK(stderr_contains(*child, "restart mode: full process restart (supervisor restart)"));
  CHECK(listening_addresses(gateway.port).empty());

  const auto record_path = gateway.state_dir("main") / "gateway-restart-handoff.json";
  CHECK(mode_of(record_path) == 0600u);
  json record = json::parse(read_file(record_path));
  CHECK(record["kind"] == "gateway-supervisor-restart-handoff");
  CHECK(record["pid"] == pid);
  CHECK(record["reason"] == "SIGUSR2");
  CHECK(record["source"] == "signal");
  CHECK(record["restartKind"] == "full-process");
  CHECK(record["supervisorMode"] == "external");
  CHECK(record["expiresAt"].get<long long>() - record["createdAt"].get<long long>() == 60000);
  for (const auto& entry : std::filesystem::directory_iterator(gateway.state_dir("main"))) {
    if (entry.path().string().ends_with(".state.json")) CHECK(json::parse(read_file(entry.path()))["phase"] == "stopped");
  }

  CHECK(consume(gateway, env, pid + 1)["reason"] == "pid-mismatch");
  json accepted = consume(gateway, env, pid);
  CHECK(accepted["status"] == "accepted");
  CHECK(accepted["handoff"] == record);
  CHECK(consume(gateway, env, pid)["reason"] == "missing");

  // What the supervisor does next: start the replacement, which finds lock and ports free.
  auto replacement = gateway.start_with({"--profile", "main", "gateway"}, env);
  CHECK(GatewayFixture::wait_started(gateway.port));
}

TEST_CASE("in-process restart: same pid, same port, startup again; no handoff") {
  GatewayFixture gateway;
  struct Mode {
    Env env;
    std::string log;
  };
  const Mode mode = GENERATE(Mode{with(external, {{"OPENCLAW_NO_RESPAWN", "1"}}), "(OPENCLAW_NO_RESPAWN=1)"},
                             Mode{{}, "(no external supervisor)"});
  const Env env = with(with(gateway.profile_env("main"), mode.env), {{"MOLTBOT_GATEWAY_TEST_FAULTS", "startup_sidecars=300ms"}});
  auto child = gateway.start_with({"--profile", "main", "gateway"}, env);
  REQUIRE(GatewayFixture::wait_started(gateway.port));
  CHECK(GatewayFixture::status(gateway.port)["restart_mode"] == "in-process");

  child->signal(SIGUSR2);
  REQUIRE(wait_until([&] { return count_of(child->err(), "startup pending for 300ms") == 2; }, 5s));
  CHECK(stderr_contains(*child, "restart mode: in-process restart " + mode.log));
  auto startup = http_get("127.0.0.1", gateway.port, "/startupz");
  REQUIRE(startup.response);
  CHECK(startup.response->status == 503);
  CHECK(json::parse(startup.response->body)["pendingReason"] == "startup-sidecars");

  REQUIRE(GatewayFixture::wait_started(gateway.port));
  json status = GatewayFixture::status(gateway.port);
  CHECK(status["pid"] == child->pid());
  CHECK(status["in_process_restarts"] == 1);
  CHECK(status["ports"]["gateway"] == gateway.port);
  CHECK(http_get("127.0.0.1", gateway.port + 2, "/").ok());  // browser control reopened too
  CHECK(child->running());
  CHECK_FALSE(std::filesystem::exists(gateway.state_dir("main") / "gateway-restart-handoff.json"));
}

TEST_CASE("SIGUSR1 restarts nothing: logged and ignored") {
  GatewayFixture gateway;
  auto child = gateway.start("main", external);
  REQUIRE(GatewayFixture::wait_started(gateway.port));
  child->signal(SIGUSR1);
  REQUIRE(wait_until([&] { return stderr_contains(*child, "SIGUSR1 ignored"); }, 5s));
  CHECK(child->running());
  CHECK(in_process_restarts(gateway.port) == 0);
  CHECK(GatewayFixture::wait_started(gateway.port, 1s));
}

TEST_CASE("external mode: a handoff that cannot be written falls back to an in-process restart") {
  GatewayFixture gateway;
  // A folder where the record goes: the rename onto it fails.
  std::filesystem::create_directories(gateway.state_dir("main") / "gateway-restart-handoff.json");
  auto child = gateway.start("main", external);
  REQUIRE(GatewayFixture::wait_started(gateway.port));
  child->signal(SIGUSR2);
  REQUIRE(wait_until([&] { return in_process_restarts(gateway.port) == 1; }, 5s));
  CHECK(stderr_contains(*child, "external supervisor restart handoff could not be persisted"));
  CHECK(stderr_contains(*child, "falling back to in-process restart"));
  CHECK(child->running());
  CHECK(GatewayFixture::status(gateway.port)["pid"] == child->pid());
  CHECK(GatewayFixture::wait_started(gateway.port));
}

TEST_CASE("SIGTERM during a restart's drain stops the gateway instead, without a handoff") {
  GatewayFixture gateway;
  auto child = gateway.start("main", with(external, {{"MOLTBOT_GATEWAY_TEST_FAULTS", "slow_reply=400ms"}}));
  REQUIRE(GatewayFixture::wait_healthy(gateway.port));
  auto in_flight = std::async(std::launch::async, [&] { return http_get("127.0.0.1", gateway.port, "/status", 3s); });
  REQUIRE(wait_until([&] { return stderr_contains(*child, "delaying reply to GET /status"); }, 3s));
  child->signal(SIGUSR2);
  REQUIRE(wait_until([&] { return stderr_contains(*child, "received SIGUSR2"); }, 3s));
  child->signal(SIGTERM);
  CHECK(in_flight.get().ok());
  auto exit = child->wait_for_exit(2s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK(stderr_contains(*child, "SIGTERM: stopping once the drain ends"));
  CHECK_FALSE(stderr_contains(*child, "restart mode:"));
  CHECK_FALSE(std::filesystem::exists(gateway.state_dir("main") / "gateway-restart-handoff.json"));
}

TEST_CASE("startup_sidecars: live at once, /startupz and /readyz 503 'starting' until the delay ends") {
  GatewayFixture gateway;
  const auto launched = std::chrono::steady_clock::now();
  auto child = gateway.start("main", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "startup_sidecars=800ms"}});
  REQUIRE(GatewayFixture::wait_healthy(gateway.port));
  auto startup = http_get("127.0.0.1", gateway.port, "/startupz");
  REQUIRE(startup.response);
  CHECK(startup.response->status == 503);
  json body = json::parse(startup.response->body);
  CHECK(body["ok"] == false);
  CHECK(body["status"] == "starting");
  CHECK(body["pendingReason"] == "startup-sidecars");
  auto ready = http_get("127.0.0.1", gateway.port, "/readyz");
  REQUIRE(ready.response);
  CHECK(ready.response->status == 503);
  CHECK(json::parse(ready.response->body)["failing"] == json{"startup-sidecars"});
  CHECK(GatewayFixture::status(gateway.port)["phase"] == "starting");

  REQUIRE(GatewayFixture::wait_started(gateway.port));
  CHECK(std::chrono::steady_clock::now() - launched >= 800ms);
  CHECK(http_get("127.0.0.1", gateway.port, "/readyz").ok());

  SECTION("SIGTERM while starting still drains and exits 0 at once") {
    GatewayFixture other;
    auto starting = other.start("main", {{"MOLTBOT_GATEWAY_TEST_FAULTS", "startup_sidecars=1m"}});
    REQUIRE(GatewayFixture::wait_healthy(other.port));
    starting->signal(SIGTERM);
    auto exit = starting->wait_for_exit(1s);
    REQUIRE(exit);
    CHECK(exit->code == 0);
  }
}

TEST_CASE("gateway restart: finds the profile's gateway, signals it and waits for it to be started") {
  GatewayFixture gateway;
  const Env env = gateway.profile_env("main");

  SECTION("no gateway: a clear failure, exit 1") {
    ProcessResult never = gateway.run({"gateway", "restart"}, env);
    CHECK(never.exit_code == 1);
    CHECK(never.err.starts_with("Gateway restart failed: no gateway has run with state dir " +
                                gateway.state_dir("main").string()));

    auto child = gateway.start_with({"--profile", "main", "gateway"}, env);
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    child->signal(SIGTERM);
    REQUIRE(child->wait_for_exit(5s));
    ProcessResult stopped = gateway.run({"gateway", "restart"}, env);
    CHECK(stopped.exit_code == 1);
    CHECK(stopped.err.starts_with("Gateway restart failed: no gateway is running with state dir"));
  }
  SECTION("in-process: exit 0 once the same pid is started again (after its startup phase)") {
    auto child = gateway.start_with({"--profile", "main", "gateway"},
                                    with(env, {{"MOLTBOT_GATEWAY_TEST_FAULTS", "startup_sidecars=500ms"}}));
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    const auto asked = std::chrono::steady_clock::now();
    ProcessResult run = gateway.run({"gateway", "restart"}, env);
    INFO(run.err);
    CHECK(run.exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - asked >= 500ms);
    CHECK(run.out.find("Gateway restarted in-process: pid " + std::to_string(child->pid())) != std::string::npos);
    CHECK(http_get("127.0.0.1", gateway.port, "/startupz").ok());
    CHECK(in_process_restarts(gateway.port) == 1);
    CHECK(stderr_contains(*child, "received SIGUSR2; restarting (reason gateway.restart)"));
  }
  SECTION("external mode, with the test as the supervisor: the handoff names the operator, a new pid starts") {
    const Env supervised = with(env, external);
    auto old = gateway.start_with({"--profile", "main", "gateway"}, supervised);
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    auto restart = gateway.start_with({"gateway", "restart"}, supervised);
    auto old_exit = old->wait_for_exit(10s);
    REQUIRE(old_exit);
    CHECK(old_exit->code == 0);
    json accepted = consume(gateway, supervised, old->pid());
    REQUIRE(accepted["status"] == "accepted");
    CHECK(accepted["handoff"]["reason"] == "gateway.restart");
    CHECK(accepted["handoff"]["source"] == "operator-restart");
    auto replacement = gateway.start_with({"--profile", "main", "gateway"}, supervised);

    // Past the CLI's own 60 s wait: its verdict, whatever the load.
    auto restart_exit = restart->wait_for_exit(70s);
    INFO(restart->err());
    REQUIRE(restart_exit);
    CHECK(restart_exit->code == 0);
    CHECK(restart->out().find("pid " + std::to_string(old->pid()) + " exited for its supervisor, pid " +
                              std::to_string(replacement->pid()) + " is started") != std::string::npos);
  }
  SECTION("external mode without a supervisor: times out with exit 1; the handoff is left for consume") {
    const Env supervised = with(env, external);
    auto old = gateway.start_with({"--profile", "main", "gateway"}, supervised);
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    ProcessResult run = gateway.run({"gateway", "restart", "--wait-timeout", "1s"}, supervised);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("exited for the restart, but no gateway started on port " + std::to_string(gateway.port) +
                       " within 1000ms") != std::string::npos);
    REQUIRE(old->wait_for_exit(1s));
    CHECK(consume(gateway, supervised, old->pid())["status"] == "accepted");
    CHECK(consume(gateway, supervised, old->pid())["reason"] == "missing");
  }
  SECTION("a gateway that does not answer is not signalled") {
    auto child = gateway.start_with({"--profile", "main", "gateway"},
                                    with(env, {{"MOLTBOT_GATEWAY_TEST_FAULTS", "stop_health_after=0ms"}}));
    REQUIRE(wait_until([&] { return stderr_contains(*child, "no longer answering"); }, 5s));
    ProcessResult run = gateway.run({"gateway", "restart"}, env);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("Gateway restart failed: gateway pid " + std::to_string(child->pid()) +
                       " does not answer on port") != std::string::npos);
    CHECK_FALSE(stderr_contains(*child, "SIGUSR2"));
  }
  SECTION("a lock held by something that is not moltbot-gateway is refused") {
    auto child = gateway.start_with({"--profile", "main", "gateway"}, env);
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    const std::string lock_file = GatewayFixture::status(gateway.port)["lock_file"];
    child->signal(SIGTERM);
    REQUIRE(child->wait_for_exit(5s));
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    ProcessResult run = gateway.run({"gateway", "restart"}, env);
    ::close(fd);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("pid " + std::to_string(::getpid()) + " holds " + lock_file) != std::string::npos);
    CHECK(run.err.find("not moltbot-gateway") != std::string::npos);
  }
}
