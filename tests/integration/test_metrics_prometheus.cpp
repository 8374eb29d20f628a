// A real Prometheus server scrapes a real supervisor's /metrics and is queried back through its
// HTTP API: `up` of the target, and a gateway's restart counter after a kill. Opt-in (label
// real-prometheus): exits 77, which ctest reports as skipped, where Debian's prometheus is not
// installed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "control_fixture.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt
constexpr const char* prometheus_program = "/usr/bin/prometheus";

// Prometheus's answer to an instant query (null when it did not answer).
json answer(int port, const std::string& promql) {
  std::string escaped;
  for (unsigned char c : promql) {
    if (std::isalnum(c) || c == '_') {
      escaped += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      escaped += hex;
    }
  }
  auto reply = http_get("127.0.0.1", port, "/api/v1/query?query=" + escaped, 5s);
  if (!reply.response) return nullptr;
  auto body = json::parse(reply.response->body, nullptr, false);
  return body.is_discarded() ? json(nullptr) : body;
}

// The value of the first series of an instant query, or nullopt while there is none.
std::optional<double> query(int port, const std::string& promql) {
  auto body = answer(port, promql);
  if (!body.is_object() || body["status"] != "success" || body["data"]["result"].empty()) return std::nullopt;
  return std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
}

}  // namespace

TEST_CASE("a real Prometheus server scrapes the supervisor") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  const int metrics_port = fleet.spare_port();
  fleet.supervisor_yaml = "  metrics: 127.0.0.1:" + std::to_string(metrics_port) + "\n";
  fleet.write_manifest(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  INFO("supervisor stderr:\n" << fleet.supervisor().err());
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);

  const int prometheus_port = fleet.spare_port();
  const auto config = fleet.dir.write("prometheus.yml",
                                      "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                                      "scrape_configs:\n"
                                      "  - job_name: moltbot\n"
                                      "    static_configs: [{targets: [\"127.0.0.1:" +
                                          std::to_string(metrics_port) + "\"]}]\n");
  ChildProcess prometheus({{prometheus_program, "--config.file=" + config.string(),
                            "--storage.tsdb.path=" + (fleet.dir.path() / "tsdb").string(),
                            "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
                           {{"HOME", fleet.dir.path().string()}},
                           std::nullopt,
                           fleet.dir.path(),
                           "prometheus"});
  INFO(prometheus.err());
  CHECK(wait_until([&] { return query(prometheus_port, R"(up{job="moltbot"})") == 1.0; }, 60s, 250ms));
  CHECK(wait_until([&] { return query(prometheus_port, R"(moltbot_profile_up{profile="main"})") == 1.0; }, 30s, 250ms));
  CHECK(query(prometheus_port, R"(moltbot_profile_restarts_total{profile="main"})") == 0.0);

  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  REQUIRE(fleet.wait_status("main", [&](const auto& s) { return s["state"] == "running" && s["pid"] != main_pid; }));
  CHECK(wait_until([&] { return query(prometheus_port, R"(moltbot_profile_restarts_total{profile="main"})") == 1.0; },
                   30s, 250ms));
  CHECK(query(prometheus_port, R"(moltbot_profile_restarts_total{profile="rescue"})") == 0.0);

  // Every query of the documented dashboard is one Prometheus accepts.
  std::ifstream file(MOLTBOT_SOURCE_DIR "/docs/grafana-dashboard.json");
  const auto dashboard = json::parse(file);
  int queries = 0;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel["targets"]) {
      auto expr = target["expr"].get<std::string>();
      for (std::size_t at; (at = expr.find("$profile")) != std::string::npos;) expr.replace(at, 8, ".*");
      INFO(expr);
      CHECK(answer(prometheus_port, expr)["status"] == "success");
      ++queries;
    }
  CHECK(queries > 10);
}

int main(int argc, char** argv) {
  if (::access(prometheus_program, X_OK) != 0) {
    std::printf("skipped: %s is not installed (Debian's prometheus package)\n", prometheus_program);
    return skip_status;
  }
  return Catch::Session().run(argc, argv);
}
