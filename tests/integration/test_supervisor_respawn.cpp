// The respawn path with `backoff.initial: 0`: the supervisor writes its log lines and tells its
// observers once the replacement is spawned, and what they say, and in which order, is unchanged.
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "supervisor_fixture.h"

using namespace moltbot::test;

namespace {

// Where each of `needles` first occurs in `text`, each searched after the previous one; npos for
// one that does not follow.
std::vector<std::size_t> positions_in_order(const std::string& text, const std::vector<std::string>& needles) {
  std::vector<std::size_t> found;
  std::size_t from = 0;
  for (const auto& needle : needles) {
    auto at = from == std::string::npos ? std::string::npos : text.find(needle, from);
    found.push_back(at);
    from = at == std::string::npos ? at : at + needle.size();
  }
  return found;
}

}  // namespace

TEST_CASE("a SIGKILLed gateway with zero backoff: replaced at once, both logs tell it in order") {
  SupervisorFixture fleet(Profiles{
      {"main", main_profile({}, {{"restart", "{backoff: {initial: 0, max: 1ms, factor: 1}, max_restarts: 100, "
                                             "window: 1m}"}})}});
  auto& supervisor = fleet.start_supervisor();
  const pid_t killed = fleet.running_pid("main");
  REQUIRE(killed > 0);
  REQUIRE(::kill(killed, SIGKILL) == 0);
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& status) {
    return status["state"] == "running" && status["pid"].is_number() && status["pid"] != killed;
  }));
  const auto replacement = std::to_string(fleet.status("main")["pid"].get<pid_t>());
  CHECK(fleet.status("main")["restarts"] == 1);

  const std::string exit = "killed by signal 9 (SIGKILL)";
  auto in_profile_log = positions_in_order(fleet.profile_log("main"),
                                           {"[supervisor] backoff: " + exit + "; restarting at once",
                                            "[supervisor] exec ", "(pid " + replacement + ")",
                                            "[supervisor] starting: started pid " + replacement});
  for (auto at : in_profile_log) CHECK(at != std::string::npos);

  auto in_supervisor_log =
      positions_in_order(supervisor.err(), {"profile main: running -> backoff: " + exit + "; restarting at once",
                                            "profile main: backoff -> starting: started pid " + replacement});
  for (auto at : in_supervisor_log) CHECK(at != std::string::npos);
}
