// supervisor.metrics and limits: parsed, merged, validated with file:line:field diagnostics; the
// rescue profile's oom_score_adj below every other by default.
#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/memory_size.h"
#include "moltbot/config/metrics_endpoint.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;

TEST_CASE("metrics endpoints as the manifest writes them", "[load]") {
  auto endpoint = [](std::string_view text) { return std::get<MetricsEndpoint>(parse_metrics_endpoint(text)); };
  CHECK(endpoint("9464") == MetricsEndpoint{"127.0.0.1", 9464});
  CHECK(endpoint("127.0.0.1:9464") == MetricsEndpoint{"127.0.0.1", 9464});
  CHECK(endpoint("0.0.0.0:1") == MetricsEndpoint{"0.0.0.0", 1});
  CHECK(endpoint("[::1]:9464") == MetricsEndpoint{"::1", 9464});
  CHECK(is_loopback(endpoint("127.0.0.2:9464")));
  CHECK(is_loopback(endpoint("[::1]:9464")));
  CHECK_FALSE(is_loopback(endpoint("10.0.0.1:9464")));
  CHECK_FALSE(is_loopback(endpoint("[::]:9464")));
  for (const char* bad : {"localhost:9464", "::1:9464", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "9464x", ""})
    CHECK(std::holds_alternative<std::string>(parse_metrics_endpoint(bad)));
}

TEST_CASE("memory sizes", "[load]") {
  CHECK(parse_memory_size("4096") == 4096u);
  CHECK(parse_memory_size("512M") == 512ull << 20);
  CHECK(parse_memory_size("2G") == 2ull << 30);
  CHECK(parse_memory_size("1.5G") == 3ull << 29);
  CHECK(parse_memory_size("2GiB") == 2ull << 30);
  CHECK(parse_memory_size("64k") == 64ull << 10);
  for (const char* bad : {"", "G", "2X", "1.0000001K", "-1G", "99999999T"}) CHECK_FALSE(parse_memory_size(bad));
}

TEST_CASE("metrics is off by default and read when set", "[load]") {
  ManifestFixture fx;
  const auto off = fx.load("profiles: {main: {port: 18789}}\n");
  CHECK_FALSE(clean_manifest(off).supervisor.metrics);
  const auto manifest_result = fx.load(R"(
supervisor:
  metrics: 127.0.0.1:9464
profiles: {main: {port: 18789}}
)");
  const auto& manifest = clean_manifest(manifest_result);
  REQUIRE(manifest.supervisor.metrics);
  CHECK(*manifest.supervisor.metrics == MetricsEndpoint{"127.0.0.1", 9464});
}

TEST_CASE("a bad metrics endpoint, an exposed one, and one in a profile's ports", "[load]") {
  ManifestFixture fx;
  check_at(only_diagnostic(fx.load(R"(
supervisor:
  metrics: localhost:9464
profiles: {main: {port: 18789}}
)")),
           "bad-value", 2, 12,
           "field \"supervisor.metrics\": \"localhost:9464\": expected HOST:PORT with HOST an IP address "
           "(127.0.0.1:9464, [::1]:9464) or a port");
  const auto exposed = fx.load(R"(
supervisor:
  metrics: 0.0.0.0:9464
profiles: {main: {port: 18789}}
)");
  check_at(only_diagnostic(exposed), "metrics-exposed", 2, 12,
           "field \"supervisor.metrics\": 0.0.0.0 is not a loopback address: every host that reaches 0.0.0.0:9464 "
           "reads every profile's name, state and figures, without authentication",
           Severity::warning);
  check_at(only_diagnostic(fx.load(R"(
supervisor:
  metrics: 18850
profiles: {main: {port: 18789}}
)")),
           "port-overlap", 2, 12,
           "field \"supervisor.metrics\": port 18850 is in the CDP range 18800..18899 of profile \"main\"");
}

TEST_CASE("limits merge from defaults field by field", "[load]") {
  ManifestFixture fx;
  const auto manifest_result = fx.load(R"(
defaults:
  limits: {memory: 2G, cpus: 1.5, pids: 512, nofile: 65536, oom_score_adj: 200}
profiles:
  main: {port: 18789, limits: {memory: 1G}}
  other: {port: 20789}
)");
  const auto& manifest = clean_manifest(manifest_result);
  const auto& main = manifest.profiles[0].limits;
  CHECK(main.memory == 1ull << 30);
  CHECK(main.cpus == 1.5);
  CHECK(main.pids == 512);
  CHECK(main.nofile == 65536);
  CHECK(main.oom_score_adj == 200);
  CHECK(manifest.profiles[1].limits.memory == 2ull << 30);
  CHECK(manifest.profiles[0].location_of("limits.memory").line == 4);
  CHECK(manifest.profiles[1].location_of("limits.memory").line == 2);
}

TEST_CASE("the rescue profile's oom_score_adj is below every other profile's unless it sets its own", "[load]") {
  ManifestFixture fx;
  const auto by_default_result = fx.load(R"(
profiles:
  main: {port: 18789}
  rescue: {port: 19001, role: rescue}
)");
  const auto& by_default = clean_manifest(by_default_result);
  // Main goes up rather than rescue down: raising needs no privilege.
  CHECK(by_default.profiles[0].limits.oom_score_adj == 100);
  CHECK(by_default.profiles[1].limits.oom_score_adj == 0);
  CHECK_FALSE(by_default.profiles[0].field_locations.contains("limits.oom_score_adj"));  // not the manifest's

  // Without a rescue profile nothing is set.
  const auto alone_result = fx.load(R"(
profiles:
  main: {port: 18789}
)");
  CHECK_FALSE(clean_manifest(alone_result).profiles[0].limits.oom_score_adj);

  // defaults apply to main; the rescue profile still goes below the lowest of the others.
  const auto lowered_result = fx.load(R"(
defaults:
  limits: {oom_score_adj: 300}
profiles:
  main: {port: 18789}
  low: {port: 20789, limits: {oom_score_adj: -950}}
  rescue: {port: 19001, role: rescue}
)");
  const auto& lowered = clean_manifest(lowered_result);
  CHECK(lowered.profiles[0].limits.oom_score_adj == 300);
  CHECK(lowered.profiles[2].limits.oom_score_adj == -1000);

  const auto own_result = fx.load(R"(
profiles:
  main: {port: 18789}
  rescue: {port: 19001, role: rescue, limits: {oom_score_adj: 50}}
)");
  const auto& own = clean_manifest(own_result);
  CHECK(own.profiles[1].limits.oom_score_adj == 50);
}

TEST_CASE("bad limits are named with file, line and field", "[load]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
profiles:
  main:
    port: 18789
    limits: {memory: 2X, cpus: 0, pids: 0, nofile: 8, oom_score_adj: 1001, swap: 1G}
)");
  REQUIRE(result.diagnostics.size() == 6);
  INFO(listing(result.diagnostics));
  check_at(result.diagnostics[0], "bad-value", 4, 22,
           "profile \"main\": field \"limits.memory\": \"2X\" is not a memory size of at least 4K (use bytes or "
           "512M, 1.5G, 2G)");
  CHECK(result.diagnostics[1].code == "bad-value");
  CHECK(result.diagnostics[1].message.find("limits.cpus") != std::string::npos);
  CHECK(result.diagnostics[2].message.find("limits.pids") != std::string::npos);
  CHECK(result.diagnostics[3].message.find("limits.nofile") != std::string::npos);
  CHECK(result.diagnostics[4].message.find("limits.oom_score_adj") != std::string::npos);
  CHECK(result.diagnostics[5].code == "unknown-key");
}
