// Live re-exec (`moltbot-supervisorctl reexec`): the supervisor execs its program afresh and keeps
// its pid, every gateway, their pipes and counters; a program that cannot take over leaves it as
// it was.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <set>
#include <thread>

#include "control_fixture.h"
#include "counting_gateway.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

nlohmann::json version_of(const SupervisorFixture& fleet) {
  auto run = supervisorctl(fleet, {"--json", "version"});
  REQUIRE(run.exit_code == 0);
  return nlohmann::json::parse(run.out);
}

}  // namespace

TEST_CASE("reexec 20 times: same pids, no restart, no lost line, every request answered") {
  Profiles profiles{{"counter", counting_profile()}, {"rescue", rescue_profile()}};
  for (int i = 0; i < 8; ++i) profiles["p" + std::to_string(i)] = main_profile();
  SupervisorFixture fleet(profiles);
  auto& supervisor = fleet.start_supervisor();
  std::map<std::string, pid_t> pids;
  for (const auto& [name, options] : profiles) pids[name] = fleet.running_pid(name);
  const auto before = version_of(fleet);

  // Requests while the supervisor re-executes: each is answered, by one image or the next.
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread client([&] {
    while (!done) {
      if (supervisorctl(fleet, {"--json", "status"}, 10s).exit_code == 0)
        ++answered;
      else
        ++failed;
    }
  });
  int reexecs = 0;
  for (int i = 0; i < 20; ++i) {
    auto run = supervisorctl(fleet, {"--json", "reexec"});
    INFO(run.out << run.err << supervisor.err());
    REQUIRE(run.exit_code == 0);
    auto reply = nlohmann::json::parse(run.out);
    CHECK(reply["pid"] == supervisor.pid());
    CHECK(reply["profiles"] == profiles.size());
    ++reexecs;
  }
  done = true;
  client.join();
  CHECK(failed == 0);
  CHECK(answered > 0);

  for (const auto& [name, pid] : pids) {
    auto entry = fleet.status(name);
    INFO(name << ": " << entry.dump());
    CHECK(entry["pid"] == pid);
    CHECK(entry["restarts"] == 0);
    CHECK(entry["state"] == "running");
    CHECK(process_alive(pid));
  }
  const auto after = version_of(fleet);
  CHECK(after["pid"] == before["pid"]);
  CHECK(after["reexecs"] == reexecs);

  // Every number once, in order: no line was lost or written twice across the 20 images.
  const auto numbers = counted_lines(fleet.profile_log("counter"));
  REQUIRE(numbers.size() > 50);
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    INFO("line " << i);
    REQUIRE(numbers[i] == numbers[i - 1] + 1);
  }

  // The re-executed supervisor still supervises: a gateway killed now is restarted.
  REQUIRE(::kill(pids["p0"], SIGKILL) == 0);
  REQUIRE(fleet.wait_status("p0", [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] != pids["p0"];
  }));
  CHECK(fleet.status("p0")["restarts"] == 1);
  CHECK(fleet.status("rescue")["pid"] == pids["rescue"]);
}

TEST_CASE("a program that cannot take over leaves the supervisor as it was and an upgraded one takes over") {
  SupervisorFixture fleet({{"main", main_profile()}, {"rescue", rescue_profile()}});
  // The supervisor runs from a copy, so the test can replace its program as a package upgrade would.
  const auto program = fleet.dir.path() / "bin" / "moltbot-supervisord";
  fs::create_directories(program.parent_path());
  fs::copy_file(MOLTBOT_SUPERVISORD_BIN, program);
  SupervisorLaunch launch;
  launch.program = program;
  auto& supervisor = fleet.start_supervisor(launch);
  const pid_t main_pid = fleet.running_pid("main");
  const auto build = version_of(fleet)["build"];

  auto replace_program = [&](const std::function<void(std::ofstream&)> write) {
    const auto next = program.string() + ".new";
    {
      std::ofstream file(next, std::ios::binary);
      write(file);
    }
    fs::permissions(next, fs::perms::owner_all);
    fs::rename(next, program);  // a new inode, as dpkg installs a file
  };

  // Broken: it runs but cannot answer the check (a missing library would look the same).
  replace_program([](std::ofstream& file) { file << "#!/bin/sh\necho 'cannot load libfmt.so.9' >&2\nexit 127\n"; });
  auto refused = supervisorctl(fleet, {"reexec"});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("reexec-failed") && Catch::Contains("cannot load libfmt.so.9"));
  CHECK(fleet.status("main")["pid"] == main_pid);
  CHECK(version_of(fleet)["build"] == build);
  CHECK(version_of(fleet)["reexecs"] == 0);

  // Gone: the exec itself would fail.
  fs::remove(program);
  CHECK(supervisorctl(fleet, {"reexec"}).exit_code != 0);
  CHECK(fleet.status("main")["pid"] == main_pid);

  // Upgraded: a different file (the same code with bytes appended, which an ELF loader ignores).
  replace_program([](std::ofstream& file) {
    std::ifstream original(MOLTBOT_SUPERVISORD_BIN, std::ios::binary);
    file << original.rdbuf() << "upgrade";
  });
  auto upgraded = supervisorctl(fleet, {"--json", "reexec"});
  INFO(upgraded.err << supervisor.err());
  REQUIRE(upgraded.exit_code == 0);
  auto reply = nlohmann::json::parse(upgraded.out);
  CHECK(reply["previous"]["build"] == build);
  CHECK(reply["build"] != build);
  CHECK(version_of(fleet)["build"] == reply["build"]);
  CHECK(version_of(fleet)["pid"] == supervisor.pid());
  CHECK(fleet.status("main")["pid"] == main_pid);
  CHECK(fleet.status("main")["restarts"] == 0);
}

TEST_CASE("reexec is refused while a reload is being applied, and taken once it is") {
  // `slow` ignores SIGTERM: removing it keeps the reload under way for its stop.timeout.
  SupervisorFixture fleet({{"main", main_profile()},
                           {"slow", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 3s}"}})}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(fleet.running_pid("slow") > 0);

  fleet.write_manifest({{"main", main_profile()}});
  REQUIRE(supervisorctl(fleet, {"reload"}).exit_code == 0);
  REQUIRE(fleet.wait_state("slow", "stopping"));
  auto busy = supervisorctl(fleet, {"reexec"});
  CHECK(busy.exit_code != 0);
  CHECK_THAT(busy.err, Catch::Contains("[busy]") && Catch::Contains("a reload is being applied"));
  CHECK(version_of(fleet)["reexecs"] == 0);

  // Once the reload is done (slow gone after its SIGKILL), the re-exec goes through.
  REQUIRE(wait_until([&] { return fleet.status("slow").is_null(); }, 10s));
  auto taken = supervisorctl(fleet, {"--json", "reexec"});
  REQUIRE(taken.exit_code == 0);
  CHECK(nlohmann::json::parse(taken.out)["profiles"] == 1);
  CHECK(fleet.status("main")["pid"] == main_pid);
}

TEST_CASE("reexec is refused while a restore runs, and taken once it is over") {
  // main ignores SIGTERM: the restore's stop of it lasts its stop.timeout.
  SupervisorFixture fleet({{"main", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 3s}"}})}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  const auto archive = fleet.dir.path() / "main.tar.zst";
  auto backup = supervisorctl(fleet, {"backup", "main", "--out", archive.string()});
  INFO(backup.out << backup.err);
  REQUIRE(backup.exit_code == 0);

  auto restore = start_ctl(fleet, "restore", {"--json", "restore", "main", "--from", archive.string()});
  REQUIRE(fleet.wait_state("main", "stopping"));
  auto busy = supervisorctl(fleet, {"reexec"});
  CHECK(busy.exit_code != 0);
  CHECK_THAT(busy.err, Catch::Contains("[busy]") && Catch::Contains("a restore of profile main is under way"));
  CHECK(version_of(fleet)["reexecs"] == 0);

  // The restore goes on to its end (main started with the restored state); then the re-exec is taken.
  const auto ended = restore->wait_for_exit(30s);
  REQUIRE(ended);
  INFO(restore->out() << restore->err());
  REQUIRE(ended->code == 0);
  const pid_t restored_pid = fleet.running_pid("main");
  auto taken = supervisorctl(fleet, {"--json", "reexec"});
  INFO(taken.out << taken.err);
  REQUIRE(taken.exit_code == 0);
  CHECK(fleet.status("main")["pid"] == restored_pid);
  CHECK(fleet.status("main")["state"] == "running");
}
