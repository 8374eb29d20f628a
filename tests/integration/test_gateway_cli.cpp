// moltbot-gateway's CLI commands as processes, as a supervisor and an operator call them: the
// restart-handoff contract (capabilities, consume with every outcome, exit statuses and
// concurrent consumers), `gateway status`, the refused service commands, `config set`, and the
// real CLI's `gateway` form of running the gateway (docs/gateway.md, "Commands").
#include <catch2/catch.hpp>

#include <signal.h>

#include "gateway_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace std::chrono_literals;
using moltbot::test::ChildProcess;
using moltbot::test::GatewayFixture;
using moltbot::test::http_get;
using moltbot::test::mode_of;
using moltbot::test::ProcessResult;
using moltbot::test::read_file;
using nlohmann::json;

namespace {

const std::vector<std::string> consume_args = {"gateway", "restart-handoff", "consume", "--expected-pid"};

std::vector<std::string> consume(const std::string& pid) {
  auto args = consume_args;
  args.push_back(pid);
  args.push_back("--json");
  return args;
}

// In the order printed: the key order is part of what is compared.
nlohmann::ordered_json stdout_json(const ProcessResult& run) {
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  auto parsed = nlohmann::ordered_json::parse(run.out, nullptr, false);
  REQUIRE(parsed.is_object());
  return parsed;
}

// A record as the gateway writes it, created `age_ms` ago.
std::string record_for(long long pid, long long age_ms) {
  const long long now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return json{{"kind", "gateway-supervisor-restart-handoff"},
              {"version", 1},
              {"intentId", "test-intent"},
              {"pid", pid},
              {"createdAt", now - age_ms},
              {"expiresAt", now - age_ms + 60000},
              {"reason", "SIGUSR2"},
              {"source", "signal"},
              {"restartKind", "full-process"},
              {"supervisorMode", "external"}}
      .dump();
}

}  // namespace

TEST_CASE("restart-handoff capabilities: the real gateway's protocol, version 1, consume") {
  GatewayFixture gateway;
  ProcessResult run = gateway.run({"--profile", "main", "gateway", "restart-handoff", "capabilities", "--json"});
  CHECK(run.exit_code == 0);
  CHECK(stdout_json(run).dump() ==
        R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"operations":["consume"]})");
  CHECK(run.out.starts_with("{\n  \"ok\": true,\n"));  // pretty-printed like the real CLI
}

TEST_CASE("restart-handoff consume: every outcome, with the real CLI's JSON and exit statuses") {
  GatewayFixture gateway;
  const auto env = gateway.profile_env("main");
  const auto record = gateway.state_dir("main") / "gateway-restart-handoff.json";
  const std::string base = R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,)";

  SECTION("no record: none/missing, exit 0, and nothing is created") {
    ProcessResult run = gateway.run(consume("4242"), env);
    CHECK(run.exit_code == 0);
    CHECK(stdout_json(run).dump() == base + R"("status":"none","reason":"missing"})");
    CHECK_FALSE(std::filesystem::exists(gateway.state_dir("main")));
  }
  SECTION("a wrong pid is rejected and the record kept for its owner, which then gets it once") {
    gateway.home.write(".openclaw-main/gateway-restart-handoff.json", record_for(4242, 1000));
    ProcessResult wrong = gateway.run(consume("7"), env);
    CHECK(wrong.exit_code == 0);
    CHECK(stdout_json(wrong).dump() == base + R"("status":"rejected","reason":"pid-mismatch","handoffPid":4242})");
    CHECK(std::filesystem::exists(record));

    ProcessResult right = gateway.run(consume("4242"), env);
    CHECK(right.exit_code == 0);
    auto accepted = stdout_json(right);
    CHECK(accepted["status"] == "accepted");
    CHECK(accepted["handoff"]["pid"] == 4242);
    CHECK(accepted["handoff"]["intentId"] == "test-intent");
    CHECK_FALSE(std::filesystem::exists(record));
    CHECK(stdout_json(gateway.run(consume("4242"), env))["reason"] == "missing");
  }
  SECTION("an expired record is rejected and removed") {
    gateway.home.write(".openclaw-main/gateway-restart-handoff.json", record_for(4242, 61000));
    ProcessResult run = gateway.run(consume("4242"), env);
    CHECK(run.exit_code == 0);
    CHECK(stdout_json(run).dump() == base + R"("status":"rejected","reason":"expired","handoffPid":4242})");
    CHECK_FALSE(std::filesystem::exists(record));
  }
  SECTION("a malformed record is rejected as invalid and removed") {
    for (const char* bad : {"{ torn", R"({"kind":"gateway-supervisor-restart-handoff","version":1})"}) {
      gateway.home.write(".openclaw-main/gateway-restart-handoff.json", bad);
      ProcessResult run = gateway.run(consume("4242"), env);
      CHECK(run.exit_code == 0);
      CHECK(stdout_json(run).dump() == base + R"("status":"rejected","reason":"invalid"})");
      CHECK_FALSE(std::filesystem::exists(record));
    }
  }
  SECTION("a bad --expected-pid is an error in JSON with exit 2") {
    const std::vector<std::vector<std::string>> bad_calls = {
        consume("abc"), consume("0"), consume("-5"), {"gateway", "restart-handoff", "consume", "--json"},
        {"gateway", "restart-handoff", "consume", "--expected-pid", "1", "--expected-pid", "2"}};
    for (const auto& args : bad_calls) {
      ProcessResult run = gateway.run(args, env);
      CHECK(run.exit_code == 2);
      CHECK(stdout_json(run).dump() ==
            R"({"ok":false,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"status":"error",)"
            R"("reason":"invalid-expected-pid"})");
    }
  }
  SECTION("an unusable store is store-unavailable with exit 1, naming the cause on stderr") {
    // A state dir that is a file, and a record that cannot be read (a folder in its place).
    gateway.home.write("not-a-dir", "x");
    auto file_state = env;
    file_state["OPENCLAW_STATE_DIR"] = (gateway.home.path() / "not-a-dir").string();
    std::filesystem::create_directories(record);
    for (const auto& environment : {file_state, env}) {
      ProcessResult run = gateway.run(consume("4242"), environment);
      CHECK(run.exit_code == 1);
      CHECK(stdout_json(run)["reason"] == "store-unavailable");
      CHECK(stdout_json(run)["ok"] == false);
      CHECK(run.err.starts_with("Gateway restart handoff consume failed: "));
    }
    CHECK(std::filesystem::is_directory(record));
  }
}

TEST_CASE("restart-handoff consume: concurrent consumers, exactly one accepts") {
  GatewayFixture gateway;
  const auto env = gateway.profile_env("main");
  for (int round = 0; round < 10; ++round) {
    gateway.home.write(".openclaw-main/gateway-restart-handoff.json", record_for(4242, 0));
    std::vector<std::unique_ptr<ChildProcess>> consumers;
    for (int i = 0; i < 4; ++i) consumers.push_back(gateway.start_with(consume("4242"), env));
    int accepted = 0, missing = 0;
    for (auto& consumer : consumers) {
      auto exit = consumer->wait_for_exit(20s);
      REQUIRE(exit);
      CHECK(exit->code == 0);
      json reply = json::parse(consumer->out(), nullptr, false);
      accepted += reply["status"] == "accepted";
      missing += reply["reason"] == "missing";
    }
    INFO("round " << round);
    CHECK(accepted == 1);
    CHECK(missing == 3);
  }
}

TEST_CASE("gateway status: probes the resolved port, as the real CLI's connectivity probe") {
  GatewayFixture gateway;
  const auto env = gateway.profile_env("main");
  SECTION("no gateway: probe failed on stderr, exit 1") {
    ProcessResult run = gateway.run({"gateway", "status"}, env);
    CHECK(run.exit_code == 1);
    CHECK(run.out.find("Probe target: http://127.0.0.1:" + std::to_string(gateway.port)) != std::string::npos);
    CHECK(run.err.starts_with("Connectivity probe: failed\n"));
    CHECK(run.err.find("Connection refused") != std::string::npos);
  }
  SECTION("a running gateway: ok, its pid and startup, paths as the gateway resolves them") {
    auto child = gateway.start_with({"--profile", "main", "gateway"}, env);
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    // --profile alone (no variables) finds the same files; the port comes from the variable.
    ProcessResult run = gateway.run({"--profile", "main", "gateway", "status"},
                                    {{"OPENCLAW_GATEWAY_PORT", std::to_string(gateway.port)}});
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("Connectivity probe: ok\n") != std::string::npos);
    CHECK(run.out.find("Gateway pid: " + std::to_string(child->pid()) + "\n") != std::string::npos);
    CHECK(run.out.find("Startup: started\n") != std::string::npos);
    CHECK(run.out.find("Config: " + gateway.config_path("main").string() + "\n") != std::string::npos);
    CHECK(run.out.find("State dir: " + gateway.state_dir("main").string() + "\n") != std::string::npos);
    CHECK(run.err.empty());

    // Another profile's paths on this port: answered, with a warning.
    ProcessResult other = gateway.run({"--profile", "other", "gateway", "status", "--port", std::to_string(gateway.port)});
    CHECK(other.exit_code == 0);
    CHECK(other.err.find("runs with config " + gateway.config_path("main").string()) != std::string::npos);
  }
  SECTION("a gateway still starting says so") {
    auto starting = env;
    starting["MOLTBOT_GATEWAY_TEST_FAULTS"] = "startup_sidecars=1m";
    auto child = gateway.start_with({"--profile", "main", "gateway"}, starting);
    REQUIRE(GatewayFixture::wait_healthy(gateway.port));
    ProcessResult run = gateway.run({"gateway", "status"}, env);
    CHECK(run.exit_code == 0);
    CHECK(run.out.find("Startup: starting (startup-sidecars)\n") != std::string::npos);
  }
}

TEST_CASE("gateway install/uninstall/start/stop: refused, with the real message in external mode") {
  GatewayFixture gateway;
  const std::map<std::string, std::string> actions = {{"install", "install or rewrite the gateway service"},
                                                      {"uninstall", "uninstall the gateway service"},
                                                      {"start", "start the gateway"},
                                                      {"stop", "stop the gateway"}};
  for (const auto& [verb, action] : actions) {
    INFO(verb);
    ProcessResult external = gateway.run({"--profile", "main", "gateway", verb}, {{"OPENCLAW_SUPERVISOR_MODE", "external"}});
    CHECK(external.exit_code == 1);
    CHECK(external.err == "Gateway " + verb +
                              " blocked: Error: OpenClaw gateway lifecycle is managed by an external supervisor "
                              "(OPENCLAW_SUPERVISOR_MODE=external). Use that supervisor to " + action + ".\n");

    ProcessResult plain = gateway.run({"--profile", "main", "gateway", verb});
    CHECK(plain.exit_code == 2);
    CHECK(plain.err.starts_with("gateway " + verb + ": not supported by the bundled gateway"));
  }
}

TEST_CASE("config set: a dot path in the profile's config file, which the gateway then uses") {
  GatewayFixture gateway;
  const auto config = gateway.config_path("main");
  const std::string p = std::to_string(gateway.port);

  SECTION("creates the file 0600 in a 0700 folder; the gateway and `gateway status` use the port") {
    ProcessResult run = gateway.run({"--profile", "main", "config", "set", "gateway.port", p, "--strict-json"});
    CHECK(run.exit_code == 0);
    CHECK(run.out == "Updated gateway.port in " + config.string() + ". Restart the gateway to apply it.\n");
    CHECK(json::parse(read_file(config)) == json{{"gateway", {{"port", gateway.port}}}});
    CHECK(mode_of(config) == 0600u);
    CHECK(mode_of(config.parent_path()) == 0700u);

    auto child = gateway.start_with({"--profile", "main", "gateway"});
    REQUIRE(GatewayFixture::wait_started(gateway.port));
    CHECK(gateway.run({"--profile", "main", "gateway", "status"}).exit_code == 0);
  }
  SECTION("keeps the other keys (comments are dropped); VALUE is JSON when it parses, else a string") {
    gateway.home.write(".openclaw-main/openclaw.json", "// mine\n{\"agents\": {\"x\": 1}, \"gateway\": {\"bind\": \"loopback\"}}\n");
    REQUIRE(gateway.run({"--profile", "main", "config", "set", "gateway.port", p}).exit_code == 0);
    REQUIRE(gateway.run({"--profile", "main", "config", "set", "gateway.auth.mode", "token"}).exit_code == 0);
    REQUIRE(gateway.run({"--profile", "main", "config", "set", "browser.enabled", "false"}).exit_code == 0);
    const std::string text = read_file(config);
    CHECK(text.find("// mine") == std::string::npos);
    CHECK(text.find("\"agents\"") < text.find("\"gateway\""));  // key order kept
    CHECK(json::parse(text) == json{{"agents", {{"x", 1}}},
                                    {"gateway", {{"bind", "loopback"}, {"port", gateway.port}, {"auth", {{"mode", "token"}}}}},
                                    {"browser", {{"enabled", false}}}});
  }
  SECTION("the profile's variables choose the file, as for the gateway") {
    const auto elsewhere = gateway.home.path() / "conf/main.json";
    ProcessResult run = gateway.run({"config", "set", "gateway.port", p},
                                    {{"OPENCLAW_CONFIG_PATH", elsewhere.string()}});
    CHECK(run.exit_code == 0);
    CHECK(json::parse(read_file(elsewhere))["gateway"]["port"] == gateway.port);
  }
  SECTION("errors: nothing written") {
    ProcessResult not_json = gateway.run({"--profile", "main", "config", "set", "gateway.port", "abc", "--strict-json"});
    CHECK(not_json.exit_code == 2);
    CHECK(not_json.err == "config set: VALUE \"abc\" is not JSON (--strict-json)\n");
    ProcessResult bad_path = gateway.run({"--profile", "main", "config", "set", "gateway..port", "1"});
    CHECK(bad_path.exit_code == 2);
    ProcessResult not_a_port = gateway.run({"--profile", "main", "config", "set", "gateway.port", "70000"});
    CHECK(not_a_port.exit_code == 1);
    CHECK(not_a_port.err ==
          "config set: " + config.string() + ": gateway.port must be a port number (1..65535) (nothing written)\n");
    CHECK_FALSE(std::filesystem::exists(config));

    gateway.home.write(".openclaw-main/openclaw.json", R"({"gateway": 5})");
    ProcessResult through_scalar = gateway.run({"--profile", "main", "config", "set", "gateway.port", p});
    CHECK(through_scalar.exit_code == 1);
    CHECK(through_scalar.err == "config set: " + config.string() + ": gateway is a number, not an object\n");
    gateway.home.write(".openclaw-main/openclaw.json", "{ broken");
    CHECK(gateway.run({"--profile", "main", "config", "set", "gateway.port", p}).err ==
          "config set: " + config.string() + ": not valid JSON\n");
    CHECK(read_file(config) == "{ broken");
  }
}

TEST_CASE("the real CLI's form runs the gateway: --allow-unconfigured ignored, --token never shown") {
  GatewayFixture gateway;
  auto child = gateway.start_with({"--profile", "main", "gateway", "--port", std::to_string(gateway.port), "--bind",
                                   "loopback", "--allow-unconfigured", "--token", "tok-sekrit-123"});
  REQUIRE(GatewayFixture::wait_started(gateway.port));
  json status = GatewayFixture::status(gateway.port);
  CHECK(status["profile"] == "main");
  CHECK(status["state_dir"] == gateway.state_dir("main").string());
  CHECK(status.dump().find("tok-sekrit") == std::string::npos);
  child->signal(SIGTERM);
  REQUIRE(child->wait_for_exit(5s));
  CHECK(child->err().find("tok-sekrit") == std::string::npos);
  CHECK(child->out().find("tok-sekrit") == std::string::npos);
  for (const auto& entry : std::filesystem::directory_iterator(gateway.state_dir("main"))) {
    if (entry.is_regular_file()) CHECK(read_file(entry.path()).find("tok-sekrit") == std::string::npos);
  }
}
