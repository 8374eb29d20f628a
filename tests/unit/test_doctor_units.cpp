// The doctor's reading of unit folders and of systemctl's answer, on scratch folders.
#include <catch2/catch.hpp>

#include <filesystem>

#include "moltbot/doctor/gateway_units.h"
#include "moltbot/doctor/unit_activity.h"
#include "moltbot/test/temp_dir.h"

namespace fs = std::filesystem;
using namespace moltbot::doctor;

TEST_CASE("list-units output maps each unit to its active state", "[doctor]") {
  auto states = parse_list_units(
      "openclaw-gateway.service loaded active running OpenClaw Gateway\n"
      "clawdbot-gateway@work.service loaded failed failed Clawdbot Gateway (work)\n"
      "moltbot-gateway.service not-found inactive dead moltbot-gateway.service\n"
      "\n");
  CHECK(states == std::map<std::string, std::string>{{"openclaw-gateway.service", "active"},
                                                     {"clawdbot-gateway@work.service", "failed"},
                                                     {"moltbot-gateway.service", "inactive"}});
}

TEST_CASE("the first folder wins a name, and a template is enabled by an instance link", "[doctor]") {
  moltbot::test::TempDir dir;
  dir.write("etc/openclaw-gateway.service", "[Service]\n");
  dir.write("lib/openclaw-gateway.service", "[Service]\n");
  dir.write("lib/moltbot-gateway@.service", "[Service]\n");
  fs::create_directories(dir.path() / "etc/default.target.wants");
  fs::create_symlink(dir.path() / "lib/moltbot-gateway@.service",
                     dir.path() / "etc/default.target.wants/moltbot-gateway@main.service");
  fs::create_directories(dir.path() / "etc/openclaw-gateway.service.d");  // a drop-in folder, not a unit

  auto units = find_gateway_units({{}, {dir.path() / "etc", dir.path() / "lib"}});
  REQUIRE(units.size() == 2);
  CHECK(units[0].name == "openclaw-gateway.service");
  CHECK(units[0].path == dir.path() / "etc/openclaw-gateway.service");
  CHECK(units[0].scope == UnitScope::user);
  CHECK_FALSE(units[0].enabled);
  CHECK(units[1].name == "moltbot-gateway@.service");
  CHECK(units[1].enabled);
}
