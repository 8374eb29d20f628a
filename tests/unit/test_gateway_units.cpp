// moltbot-gateway's pure parts: command line, test-fault list, resolution precedence, port
// footprint, request parser; and its file primitives (lock, atomic write) within one process.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "atomic_file.h"
#include "command_line.h"
#include "faults.h"
#include "footprint.h"
#include "instance_lock.h"
#include "request_handler.h"
#include "request_parser.h"
#include "settings.h"
#include "moltbot/test/temp_dir.h"

using namespace moltbot::gateway;
using namespace std::chrono_literals;
using moltbot::test::TempDir;

namespace {

CommandLineResult parse(std::initializer_list<const char*> args) {
  return parse_command_line(std::span<const char* const>(args.begin(), args.size()));
}

}  // namespace

TEST_CASE("command line: the real gateway's flags, in both spellings") {
  auto result = parse({"--profile", "main", "--port=19001", "--bind", "lan"});
  REQUIRE(result.command_line);
  CHECK(result.command_line->profile == "main");
  CHECK(result.command_line->port == 19001);
  CHECK(result.command_line->bind == BindMode::lan);

  CHECK(parse({"--port", "0"}).error == "--port: \"0\" is not a port number (1..65535)");
  CHECK(parse({"--port", "65536"}).error == "--port: \"65536\" is not a port number (1..65535)");
  CHECK(parse({"--port", "12x"}).error == "--port: \"12x\" is not a port number (1..65535)");
  CHECK(parse({"--profile"}).error == "--profile needs a profile name");
  CHECK(parse({"--bind", "tailnet"}).error == "--bind: \"tailnet\" is not loopback or lan");
  CHECK(parse({"frobnicate"}).error == "unknown argument \"frobnicate\"");
}


TEST_CASE("command line: the real CLI's `gateway` form and its subcommands") {
  SECTION("gateway [run] runs the gateway; --allow-unconfigured and --token are accepted") {
    for (auto* sub : {"gateway", "run"}) {
      INFO(sub);
      auto result = std::string(sub) == "run"
                        ? parse({"--profile", "main", "gateway", "run", "--port", "19001"})
                        : parse({"--profile", "main", "gateway", "--port", "19001", "--bind", "loopback",
                                 "--allow-unconfigured", "--token", "secret"});
      REQUIRE(result.command_line);
      CHECK(result.command_line->command == Command::run);
      CHECK(result.command_line->profile == "main");
      CHECK(result.command_line->port == 19001);
    }
    CHECK(parse({"gateway", "--token"}).error == "--token needs a value");
    CHECK(parse({"gateway", "--frob"}).error == "unknown argument \"--frob\"");
    CHECK(parse({"gateway", "reboot"}).error == "unknown command \"gateway reboot\"");
  }
  SECTION("restart-handoff capabilities and consume") {
    CHECK(parse({"gateway", "restart-handoff", "capabilities", "--json"}).command_line->command ==
          Command::handoff_capabilities);
    CHECK(parse({"gateway", "restart-handoff", "capabilities", "--x"}).error == "unknown argument \"--x\"");
    CHECK(parse({"gateway", "restart-handoff", "undo"}).error ==
          "gateway restart-handoff: expected capabilities or consume, not \"undo\"");

    auto consume = parse({"--profile", "p", "gateway", "restart-handoff", "consume", "--expected-pid", "42", "--json"});
    REQUIRE(consume.command_line);
    CHECK(consume.command_line->command == Command::handoff_consume);
    CHECK(consume.command_line->expected_pids == std::vector<std::string>{"42"});
    CHECK_FALSE(consume.command_line->consume_extra_arguments);
    // Whatever else is given is left for the command to refuse in JSON (exit 2), never a usage error.
    auto twice = parse({"gateway", "restart-handoff", "consume", "--expected-pid=1", "--expected-pid", "2"});
    CHECK(twice.command_line->expected_pids == std::vector<std::string>{"1", "2"});
    CHECK(parse({"gateway", "restart-handoff", "consume", "--expected-pid", "--json"})
              .command_line->consume_extra_arguments);
    CHECK(parse({"gateway", "restart-handoff", "consume", "--expected-pid", "1", "extra"})
              .command_line->consume_extra_arguments);
    CHECK(parse({"gateway", "restart-handoff", "consume", "--verbose"}).command_line->consume_extra_arguments);
  }
  SECTION("restart, status, the service verbs and config set") {
    auto restart = parse({"gateway", "restart", "--wait-timeout", "5s", "--port", "19001"});
    REQUIRE(restart.command_line);
    CHECK(restart.command_line->command == Command::restart);
    CHECK(restart.command_line->wait_timeout == 5s);
    CHECK(restart.command_line->port == 19001);
    CHECK(parse({"gateway", "restart"}).command_line->wait_timeout == 60s);
    CHECK(parse({"gateway", "restart", "--wait-timeout", "0s"}).error == "--wait-timeout needs a duration such as 30s");
    CHECK(parse({"gateway", "status", "--wait-timeout", "5s"}).error == "unknown argument \"--wait-timeout\"");
    CHECK(parse({"gateway", "status"}).command_line->command == Command::status);
    for (auto* verb : {"install", "uninstall", "start", "stop"}) {
      auto service = parse({"gateway", verb, "--force"});
      REQUIRE(service.command_line);
      CHECK(service.command_line->command == Command::service);
      CHECK(service.command_line->service_verb == verb);
    }
    auto set = parse({"config", "set", "gateway.port", "-5", "--strict-json"});
    REQUIRE(set.command_line);
    CHECK(set.command_line->command == Command::config_set);
    CHECK(set.command_line->config_key == "gateway.port");
    CHECK(set.command_line->config_value == "-5");
    CHECK(set.command_line->strict_json);
    CHECK(parse({"config", "set", "gateway.port"}).error ==
          "config set needs PATH and VALUE, e.g. config set gateway.port 19001");
    CHECK(parse({"config", "get", "gateway.port"}).error == "config: only `config set PATH VALUE` is supported");
  }
}

TEST_CASE("faults: every item, and errors naming the item") {
  auto result = parse_faults(
      "exit_after=500ms:3,crash_at_start,slow_start=2s,stop_health_after=1m,ignore_sigterm,spawn_helper,"
      "hold_ports=3,slow_reply=250ms,churn_state=1ms,startup_sidecars=3s,double_fork_helpers=100,port_squatter");
  REQUIRE_FALSE(result.error);
  const Faults& f = result.faults;
  REQUIRE(f.exit_after);
  CHECK(f.exit_after->delay == 500ms);
  CHECK(f.exit_after->code == 3);
  CHECK(f.crash_at_start);
  CHECK(f.slow_start == 2s);
  CHECK(f.stop_health_after == 60s);
  CHECK(f.ignore_sigterm);
  CHECK(f.spawn_helper);
  CHECK(f.hold_ports == 3);
  CHECK(f.slow_reply == 250ms);
  CHECK(f.churn_state == 1ms);
  CHECK(f.startup_sidecars == 3s);
  CHECK(f.double_fork_helpers == 100);
  CHECK(f.port_squatter);

  CHECK_FALSE(parse_faults("").error);
  CHECK(parse_faults("").faults.slow_start == 0ms);
  CHECK(*parse_faults("exit_after=1s").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"exit_after=1s\": expected exit_after=DURATION:CODE");
  CHECK(*parse_faults("exit_after=1s:300").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"exit_after=1s:300\": expected exit_after=DURATION:CODE with CODE 0..255");
  CHECK(*parse_faults("spawn_helper=yes").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"spawn_helper=yes\": expected spawn_helper without a value");
  CHECK(*parse_faults("slow_start=soon").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"slow_start=soon\": expected slow_start=DURATION");
  CHECK(*parse_faults("hold_ports=0").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"hold_ports=0\": expected hold_ports=N with N 1..100");
  CHECK(*parse_faults("startup_sidecars").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"startup_sidecars\": expected startup_sidecars=DURATION");
  for (const char* count : {"double_fork_helpers=0", "double_fork_helpers=1001", "double_fork_helpers"})
    CHECK(*parse_faults(count).error == "MOLTBOT_GATEWAY_TEST_FAULTS: \"" + std::string(count) +
                                            "\": expected double_fork_helpers=N with N 1..1000");
  CHECK(*parse_faults("port_squatter=1").error ==
        "MOLTBOT_GATEWAY_TEST_FAULTS: \"port_squatter=1\": expected port_squatter without a value");
  CHECK(*parse_faults("explode").error == "MOLTBOT_GATEWAY_TEST_FAULTS: unknown fault \"explode\"");
}

TEST_CASE("footprint: offsets from P, pins, and the silent fallback past 65535") {
  Footprint ports = derive_footprint(18789, {});
  CHECK(ports.bridge == 18790);
  CHECK(ports.browser_control == 18791);
  CHECK(ports.extension_relay == 18792);
  CHECK(ports.canvas == 18793);
  CHECK(ports.cdp_start == 18800);
  CHECK(ports.cdp_end == 18899);

  ConfigPins pins;
  pins.browser_control_port = 30000;
  pins.canvas_port = 30100;
  Footprint pinned = derive_footprint(20000, pins);
  CHECK(pinned.browser_control == 30000);
  CHECK(pinned.canvas == 30100);
  CHECK(pinned.cdp_start == 30009);
  CHECK(pinned.cdp_end == 30108);

  Footprint high = derive_footprint(65534, {});
  CHECK(high.bridge == 65535);
  CHECK(high.browser_control == 18791);  // 65536 does not exist: the global default instead
  CHECK(high.extension_relay == 18792);
  CHECK(high.canvas == 18793);
  CHECK(high.cdp_start == 18800);
  CHECK(high.cdp_end == 18899);

  // As the manifest validator predicts it: a pinned range that does not fit falls back too.
  ConfigPins top;
  top.cdp_range_start = 65500;
  CHECK(derive_footprint(20000, top).cdp_start == 18800);
  CHECK(derive_footprint(20000, top).cdp_end == 18899);
}

TEST_CASE("settings: flags, then variables (newest spelling first), then the config file, then defaults") {
  TempDir home;
  moltbot::Environment env{{"HOME", home.path().string()}};
  CommandLine command_line;

  SECTION("defaults of a named profile") {
    command_line.profile = "main";
    auto result = resolve_settings(command_line, env);
    REQUIRE(result.settings);
    CHECK(result.settings->state_dir == home.path() / ".openclaw-main");
    CHECK(result.settings->config_path == home.path() / ".openclaw-main/openclaw.json");
    CHECK(result.settings->workspace == home.path() / ".openclaw-main/workspace");
    CHECK(result.settings->ports.gateway == default_gateway_port);
    CHECK(result.settings->restart.mode == RestartMode::in_process);
  }
  SECTION("the profile named default lives in ~/.openclaw") {
    auto result = resolve_settings(command_line, env);
    REQUIRE(result.settings);
    CHECK(result.settings->state_dir == home.path() / ".openclaw");
    CHECK(result.settings->workspace == home.path() / ".openclaw/workspace");
  }
  SECTION("the profile comes from *_PROFILE when --profile is absent") {
    env["CLAWDBOT_PROFILE"] = "old";
    env["MOLTBOT_PROFILE"] = "newer";
    auto result = resolve_settings(command_line, env);
    REQUIRE(result.settings);
    CHECK(result.settings->profile == "newer");
  }
  SECTION("port: --port, then *_GATEWAY_PORT, then gateway.port") {
    home.write(".openclaw-main/openclaw.json", R"({"gateway": {"port": 20000}})");
    command_line.profile = "main";
    CHECK(resolve_settings(command_line, env).settings->ports.gateway == 20000);
    env["CLAWDBOT_GATEWAY_PORT"] = "21000";
    CHECK(resolve_settings(command_line, env).settings->ports.gateway == 21000);
    env["OPENCLAW_GATEWAY_PORT"] = "22000";
    CHECK(resolve_settings(command_line, env).settings->ports.gateway == 22000);
    command_line.port = 23000;
    CHECK(resolve_settings(command_line, env).settings->ports.gateway == 23000);
  }
  SECTION("paths in variables: ~ and relative paths resolved") {
    env["MOLTBOT_STATE_DIR"] = "~/states/a";
    env["CLAWDBOT_CONFIG_PATH"] = "~/configs/a.json";
    auto result = resolve_settings(command_line, env);
    REQUIRE(result.settings);
    CHECK(result.settings->state_dir == home.path() / "states/a");
    CHECK(result.settings->config_path == home.path() / "configs/a.json");
  }
  SECTION("errors: exit 2 for the environment, 78 for the config file") {
    env["MOLTBOT_GATEWAY_PORT"] = "http";
    auto bad_port = resolve_settings(command_line, env);
    CHECK(bad_port.exit_code == 2);
    CHECK(bad_port.error == "MOLTBOT_GATEWAY_PORT: \"http\" is not a port number (1..65535)");

    auto config = home.write(".openclaw/openclaw.json", "{ not json");
    auto bad_config = resolve_settings(command_line, env);
    CHECK(bad_config.exit_code == 78);
    CHECK(bad_config.error == config.string() + ": not valid JSON");

    home.write(".openclaw/openclaw.json", R"({"agents": {"defaults": {"workspace": 7}}})");
    CHECK(resolve_settings(command_line, env).error ==
          config.string() + ": agents.defaults.workspace must be a non-empty string");
  }
}

TEST_CASE("restart policy: external supervisor unless OPENCLAW_NO_RESPAWN is truthy, as the real gateway") {
  CHECK(restart_policy({}).mode == RestartMode::in_process);
  CHECK(restart_policy({}).why == "no external supervisor");
  CHECK(restart_policy({{"OPENCLAW_SUPERVISOR_MODE", " External "}}).mode == RestartMode::external_supervisor);
  CHECK(restart_policy({{"OPENCLAW_SUPERVISOR_MODE", "systemd"}}).mode == RestartMode::in_process);
  for (auto* value : {"1", "true", "YES", "on"}) {
    auto policy = restart_policy({{"OPENCLAW_SUPERVISOR_MODE", "external"}, {"OPENCLAW_NO_RESPAWN", value}});
    CHECK(policy.mode == RestartMode::in_process);
    CHECK(policy.why.starts_with("OPENCLAW_NO_RESPAWN="));
  }
  CHECK(restart_policy({{"OPENCLAW_SUPERVISOR_MODE", "external"}, {"OPENCLAW_NO_RESPAWN", "0"}}).mode ==
        RestartMode::external_supervisor);
  CHECK(externally_supervised({{"OPENCLAW_SUPERVISOR_MODE", "external"}, {"OPENCLAW_NO_RESPAWN", "1"}}));
}

namespace {

class FixedStatus final : public StatusSource {
 public:
  Startup state = Startup::started;
  Startup startup() const override { return state; }
  bool wedged() const override { return false; }
  long long uptime_ms() const override { return 1234; }
  std::string status_json() const override { return "{}"; }
  void request_served() override { ++served; }
  int served = 0;
};

}  // namespace

TEST_CASE("request handler: /startupz and /readyz follow the startup as the real gateway's; /healthz is always live") {
  FixedStatus source;
  RequestHandler handler(source);
  auto get = [&](const char* path) { return *handler.handle(Request{"GET", path, true}, ListenerRole::gateway); };
  const std::string version = MOLTBOT_VERSION;

  source.state = Startup::starting;
  CHECK(get("/healthz").status == 200);
  CHECK(get("/startupz").status == 503);
  CHECK(get("/startupz").body == R"({"ok":false,"status":"starting","version":")" + version +
                                     R"(","uptimeMs":1234,"pendingReason":"startup-sidecars"})");
  CHECK(get("/readyz").status == 503);
  CHECK(get("/readyz").body == R"({"ready":false,"failing":["startup-sidecars"],"uptimeMs":1234})");

  source.state = Startup::started;
  CHECK(get("/startupz").status == 200);
  CHECK(get("/startupz").body == R"({"ok":true,"status":"started","version":")" + version + R"(","uptimeMs":1234})");
  CHECK(get("/readyz").body == R"({"ready":true,"failing":[],"uptimeMs":1234})");

  source.state = Startup::draining;
  CHECK(get("/healthz").status == 200);
  CHECK(get("/startupz").status == 503);
  CHECK(get("/startupz").body == R"({"ok":false,"status":"draining","version":")" + version + R"(","uptimeMs":1234})");
  CHECK(get("/readyz").status == 503);
  CHECK(get("/readyz").body == R"({"ready":false,"failing":["gateway-draining"],"uptimeMs":1234})");
}

TEST_CASE("request parser: heads split anywhere, pipelining, keep-alive, and refusals") {
  RequestParser parser;
  Request request;
  parser.append("GET /hea");
  CHECK(parser.next(request) == RequestParser::Status::incomplete);
  parser.append("lthz HTTP/1.1\r\nHost: x\r\n\r\nGET /status?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n");
  REQUIRE(parser.next(request) == RequestParser::Status::complete);
  CHECK(request.method == "GET");
  CHECK(request.target == "/healthz");
  CHECK(request.keep_alive);
  REQUIRE(parser.next(request) == RequestParser::Status::complete);
  CHECK(request.target == "/status?x=1");
  CHECK_FALSE(request.keep_alive);
  CHECK(parser.next(request) == RequestParser::Status::incomplete);

  auto status_of = [](const std::string& text) {
    RequestParser fresh;
    Request ignored;
    fresh.append(text);
    return fresh.next(ignored);
  };
  CHECK(status_of("GET / HTTP/1.0\r\n\r\n") == RequestParser::Status::complete);
  CHECK(status_of("GET / HTTP/2\r\n\r\n") == RequestParser::Status::bad);
  CHECK(status_of("GET noslash HTTP/1.1\r\n\r\n") == RequestParser::Status::bad);
  CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") == RequestParser::Status::bad);
  CHECK(status_of("GET / HTTP/1.1\r\n" + std::string(9000, 'x')) == RequestParser::Status::bad);
}

TEST_CASE("instance lock: one holder per config path, pid recorded, released on destruction") {
  TempDir state;
  const auto config = state.path() / "openclaw.json";
  auto first = acquire_instance_lock(state.path(), config);
  REQUIRE(first.lock);
  CHECK(first.lock_path.filename() == "gateway." + config_key(config) + ".lock");

  // flock locks belong to open file descriptions, so a second open in this process contends.
  auto second = acquire_instance_lock(state.path(), config);
  CHECK_FALSE(second.lock);
  CHECK(second.held_by_other);
  CHECK(second.holder_pid == ::getpid());

  auto other_config = acquire_instance_lock(state.path(), state.path() / "other.json");
  CHECK(other_config.lock);

  first.lock.reset();
  CHECK(acquire_instance_lock(state.path(), config).lock);
  CHECK(config_key("/a/b.json") == config_key("/a/./b.json"));
  CHECK(config_key("/a/b.json") != config_key("/a/c.json"));
}

TEST_CASE("atomic write replaces the whole file") {
  TempDir dir;
  const auto target = dir.path() / "state.json";
  REQUIRE_FALSE(write_file_atomically(target, "first"));
  REQUIRE_FALSE(write_file_atomically(target, "second, longer"));
  std::ifstream in(target);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "second, longer");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "state.json.tmp"));
  CHECK(write_file_atomically(dir.path() / "missing/state.json", "x")->starts_with("cannot create"));
}
