// Rendering of diagnostics (text and JSON) and of port maps.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "hand_built_fleet.h"
#include "moltbot/config/render.h"
#include "moltbot/config/validate.h"

using namespace moltbot;
using namespace moltbot::config;

namespace {

Diagnostic overlap_example() {
  Diagnostic d;
  d.code = "port-overlap";
  d.message = R"(profile "rescue": gateway port 18809 lies in the CDP range 18800..18899 of profile "main")";
  d.where = {"fleet.yaml", 14, 11};
  d.profile = "rescue";
  d.related.push_back({R"(profile "main" is defined here)", {"fleet.yaml", 4, 11}});
  return d;
}

}  // namespace

TEST_CASE("text diagnostics look like the spec's example", "[render]") {
  Diagnostic second = overlap_example();
  second.message = "something else";
  second.related.clear();
  CHECK(render_text(Diagnostics{overlap_example(), second}) ==
        "fleet.yaml:14:11: error[port-overlap]: profile \"rescue\": gateway port 18809 lies in the CDP range "
        "18800..18899 of profile \"main\"\n"
        "fleet.yaml:4:11: note: profile \"main\" is defined here\n"
        "fleet.yaml:14:11: error[port-overlap]: something else\n"
        "2 errors\n");
}

TEST_CASE("the count line counts errors and warnings, not notes", "[render]") {
  Diagnostic warning = overlap_example();
  warning.severity = Severity::warning;
  warning.code = "some-warning";
  CHECK(render_text(Diagnostics{overlap_example()}).ends_with("\n1 error\n"));
  CHECK(render_text(Diagnostics{overlap_example(), warning}).ends_with("\n1 error, 1 warning\n"));
  CHECK(render_text(Diagnostics{warning, warning}).ends_with("\n0 errors, 2 warnings\n"));
  CHECK(render_text(Diagnostics{}).empty());
}

TEST_CASE("a file-level problem prints without line and column", "[render]") {
  Diagnostic d;
  d.message = "cannot read: No such file or directory";
  d.where.file = "missing.yaml";
  CHECK(render_text(d) == "missing.yaml: error: cannot read: No such file or directory\n");
}

TEST_CASE("JSON diagnostics carry every field", "[render]") {
  Diagnostic file_level;
  file_level.code = "empty-manifest";
  file_level.message = "the file is empty";
  file_level.where.file = "empty.yaml";
  auto json = nlohmann::json::parse(render_json(Diagnostics{overlap_example(), file_level}));
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 2);
  const auto& first = json[0];
  CHECK(first["severity"] == "error");
  CHECK(first["code"] == "port-overlap");
  CHECK(first["message"] == overlap_example().message);
  CHECK(first["file"] == "fleet.yaml");
  CHECK(first["line"] == 14);
  CHECK(first["column"] == 11);
  CHECK(first["profile"] == "rescue");
  REQUIRE(first["related"].size() == 1);
  CHECK(first["related"][0] ==
        nlohmann::json({{"message", "profile \"main\" is defined here"}, {"file", "fleet.yaml"}, {"line", 4}, {"column", 11}}));
  CHECK(json[1]["profile"].is_null());
  CHECK(json[1]["line"] == 0);
  CHECK(nlohmann::json::parse(render_json(Diagnostics{})) == nlohmann::json::array());
}

TEST_CASE("JSON output survives bytes that are not UTF-8", "[render]") {
  Diagnostic d = overlap_example();
  d.message = "unknown key \"\xff\xfe\"";
  auto json = nlohmann::json::parse(render_json(Diagnostics{d}));
  CHECK(json[0]["message"].get<std::string>().starts_with("unknown key"));
}

TEST_CASE("the port map as JSON", "[render]") {
  Manifest fleet = test::fleet_of({test::derived_profile("main", 18789, 3), test::derived_profile("high", 65532, 6)});
  test::pin(fleet.profiles[0], "CDP port of browser profile work", {18820, 18820}, 5);
  test::pin(fleet.profiles[0], "cdpUrl of browser profile remote", {9222, 9222}, 6);
  fleet.profiles[0].cdp_urls = {"http://127.0.0.1:9222"};
  auto json = nlohmann::json::parse(render_ports_json(validate(fleet), &fleet));
  CHECK(json["diagnostics"].size() == validate(fleet).size());
  REQUIRE(json["profiles"].size() == 2);
  const auto& main = json["profiles"][0];
  CHECK(main["name"] == "main");
  CHECK(main["role"] == "main");
  CHECK(main["ports"] == nlohmann::json({{"gateway", 18789}, {"bridge", 18790}, {"browser_control", 18791},
                                          {"extension_relay", 18792}, {"canvas", 18793}, {"cdp_start", 18800},
                                          {"cdp_end", 18899}}));
  CHECK(main["pinned_cdp_ports"] == nlohmann::json::array({18820}));
  CHECK(main["cdp_urls"] == nlohmann::json::array({"http://127.0.0.1:9222"}));
  CHECK(main["state_dir"] == "/home/op/.clawdbot-main");
  CHECK(main["config_path"] == "/home/op/.clawdbot-main/clawdbot.json");
  CHECK(main["workspace"] == "/home/op/clawd-main");
  CHECK(json["profiles"][1]["ports"]["canvas"] == 18793);  // the fallback the gateway really uses

  auto without_manifest = nlohmann::json::parse(render_ports_json(Diagnostics{}, nullptr));
  CHECK(without_manifest["profiles"] == nlohmann::json::array());
}

TEST_CASE("the port table is aligned and marks silent fallbacks", "[render]") {
  Manifest fleet = test::fleet_of({test::derived_profile("main", 18789, 3),
                                   test::derived_profile("rescue", 65532, 6, Role::rescue)});
  test::pin(fleet.profiles[0], "CDP port of browser profile work", {18820, 18820}, 5);
  test::pin(fleet.profiles[0], "cdpUrl of browser profile remote", {9222, 9222}, 6);
  CHECK(render_port_table(fleet) ==
        "PROFILE  ROLE    GATEWAY  BRIDGE  CONTROL  RELAY  CANVAS  CDP RANGE      PINNED\n"
        "main     main    18789    18790   18791    18792  18793   18800..18899   18820, 9222 (cdpUrl)\n"
        "rescue   rescue  65532    65533   65534    65535  18793*  18800..18899*  -\n"
        "* silent fallback: the derived port exceeds 65535, so the gateway takes its global default\n");
}
