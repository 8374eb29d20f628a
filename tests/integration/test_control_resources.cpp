// What each profile uses, in `status`: the gateway and every helper it left in another session
// counted, figures measured at most once a second, the table's CPU% and MEM columns.
#include <signal.h>

#include <catch2/catch.hpp>

#include "control_fixture.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;
using nlohmann::json;

namespace {

json resources_of(SupervisorFixture& fleet, const std::string& profile) {
  auto reply = ctl_json(supervisorctl(fleet, {"--json", "status", profile}));
  REQUIRE(reply.size() == 1);
  return reply[0]["resources"];
}

}  // namespace

TEST_CASE("status counts the gateway and the helpers it detached") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=2")}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);
  REQUIRE(wait_control_socket(fleet));
  std::vector<pid_t> helpers;
  REQUIRE(wait_until([&] { return (helpers = fleet.detached_helpers("main")).size() == 2; }, 10s));
  for (pid_t helper : helpers) fleet.track(helper);

  auto main = resources_of(fleet, "main");
  REQUIRE(main.is_object());
  CHECK(main["processes"] == 3);
  // At least what the gateway alone holds: the helpers' share comes on top.
  CHECK(main["rss_bytes"].get<double>() >= rss_kib(main_pid) * 1024.0);
  CHECK(main["fds"].get<std::size_t>() >= open_descriptors(main_pid));
  CHECK(main["cpu_seconds"].get<double>() >= 0);
  CHECK(main["cpu_percent"].is_number());
  auto rescue = resources_of(fleet, "rescue");
  CHECK(rescue["processes"] == 1);
  CHECK(rescue["fds"].get<std::size_t>() > 0);

  // A helper ended outside the supervisor drops out of the next measurement, a second later at most.
  REQUIRE(::kill(helpers[0], SIGKILL) == 0);
  CHECK(wait_until([&] { return resources_of(fleet, "main")["processes"] == 2; }, 5s, 100ms));
}

TEST_CASE("figures are measured at most once a second, and only when asked") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  // The status file is written on events, not measured: it carries no figures.
  CHECK(fleet.status("main")["resources"].is_null());

  const auto began = std::chrono::steady_clock::now();
  auto first = resources_of(fleet, "main");
  auto second = resources_of(fleet, "main");
  if (std::chrono::steady_clock::now() - began < 900ms) CHECK(first == second);
  auto table = supervisorctl(fleet, {"status"});
  CHECK_THAT(table.out, Contains("CPU%") && Contains("MEM"));
}

TEST_CASE("a stopped profile uses nothing") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  REQUIRE(supervisorctl(fleet, {"stop", "main", "--wait"}).exit_code == 0);
  auto stopped = resources_of(fleet, "main");
  CHECK(stopped["processes"] == 0);
  CHECK(stopped["fds"] == 0);
  CHECK(stopped["cpu_percent"].is_null());
}
