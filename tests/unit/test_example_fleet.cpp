// examples/fleet.yaml must stay a valid manifest: it is what operators copy.
#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/validate.h"

using namespace moltbot;
using namespace moltbot::config;

TEST_CASE("examples/fleet.yaml loads and validates without diagnostics", "[load][example]") {
  moltbot::test::TempDir home("moltbot-example-home");
  const auto result = load_manifest(MOLTBOT_EXAMPLE_FLEET, Environment{{"HOME", home.path().string()}});
  const Manifest& manifest = moltbot::test::clean_manifest(result);
  INFO(moltbot::test::listing(validate(manifest)));
  CHECK(validate(manifest).empty());
  REQUIRE(manifest.profiles.size() == 2);
  CHECK(manifest.profiles[0].name == "main");
  CHECK(manifest.profiles[0].ports.gateway == 18789);
  CHECK(manifest.profiles[1].name == "rescue");
  CHECK(manifest.profiles[1].role == Role::rescue);
  CHECK(manifest.profiles[1].ports.gateway == 19001);
}
