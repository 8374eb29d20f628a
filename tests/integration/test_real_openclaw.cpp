// Opt-in: two real OpenClaw gateway profiles (openclaw@2026.9.6 on Node 26), launched the way the
// supervisor launches them (moltbot_launch: argv, environment from scratch, token only in the
// environment), checked against the facts of spec section 1. Exits 77, which ctest reports as
// skipped, when openclaw is not installed (scripts/install-openclaw.sh installs it).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>

#include "moltbot/gateway/launch_spec.h"
#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"
#include "real_openclaw.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using moltbot::test::ChildProcess;
using moltbot::test::http_get;
using moltbot::test::rss_kib;
using moltbot::test::TempDir;
using moltbot::test::wait_until;
using namespace moltbot::test::real;

namespace {

// One profile of a two-profile fleet, with its own HOME, state dir and port block.
struct RealProfile {
  RealProfile(std::string profile_name, const std::string& token)
      : name(std::move(profile_name)), port(moltbot::test::find_free_port_block()) {
    profile.name = name;
    profile.state_dir = (home.path() / (".clawdbot-" + name)).string();
    profile.config_path = profile.state_dir + "/clawdbot.json";
    profile.workspace = (home.path() / ("clawd-" + name)).string();
    profile.ports.gateway = port;
    profile.ports.browser_control = port + 2;
    profile.ports.canvas = port + 4;
    // examples/openclaw-fleet.yaml's command; the token travels in the environment only.
    profile.command = {"openclaw", "--profile", "{profile}", "gateway", "--port", "{port}",
                       "--bind", "loopback", "--allow-unconfigured"};
    profile.env = {{"OPENCLAW_GATEWAY_TOKEN", token}};
    fs::create_directories(profile.state_dir);
  }

  std::unique_ptr<ChildProcess> launch(const std::string& label, std::optional<int> other_port = {}) {
    moltbot::config::Profile launched = profile;
    if (other_port) launched.ports.gateway = *other_port;
    // What the supervisor passes on: HOME and a PATH that finds openclaw and its Node 26 first.
    // (openclaw writes its log to /tmp/openclaw/openclaw-NAME-DATE.log regardless of HOME and TMPDIR.)
    const moltbot::Environment supervisor_env{{"HOME", home.path().string()},
                                              {"PATH", openclaw_bin().parent_path().string() + ":/usr/bin:/bin"}};
    auto result = moltbot::gateway::make_launch_spec(launched, supervisor_env);
    REQUIRE(result.spec);
    moltbot::test::ChildOptions options;
    options.argv = result.spec->argv;
    options.env = {result.spec->env.begin(), result.spec->env.end()};
    options.cwd = result.spec->working_dir;
    options.output_dir = home.path();
    options.name = label;
    return std::make_unique<ChildProcess>(options);
  }

  TempDir home{"moltbot-real-openclaw"};
  std::string name;
  int port;
  moltbot::config::Profile profile;
};

bool healthy(int port) {
  auto reply = http_get("127.0.0.1", port, "/healthz", 2s);
  return reply.ok() && reply.response->body == R"({"ok":true,"status":"live"})";
}

}  // namespace

TEST_CASE("two real OpenClaw profiles run side by side as the supervisor launches them") {
  Subreaper subreaper;
  const std::string token = random_token();
  RealProfile alpha("alpha", token);
  RealProfile beta("beta", token + "b");

  const auto started = std::chrono::steady_clock::now();
  auto alpha_gateway = alpha.launch("alpha");
  auto beta_gateway = beta.launch("beta");
  const bool both_healthy =
      wait_until([&] { return healthy(alpha.port) && healthy(beta.port); }, healthy_deadline, 250ms);
  INFO("alpha stderr:\n" << alpha_gateway->err() << "\nbeta stderr:\n" << beta_gateway->err());
  REQUIRE(both_healthy);
  WARN("both healthy after " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - started).count()
                             << " ms; RSS alpha " << rss_kib(alpha_gateway->pid()) / 1024 << " MiB, beta "
                             << rss_kib(beta_gateway->pid()) / 1024 << " MiB");

  // The token is in the environment only, never on a command line.
  CHECK(cmdline_of(alpha_gateway->pid()).find(token) == std::string::npos);

  // Helper processes, at least one in a process group of its own: a kill of the gateway's group
  // would miss it.
  const auto helpers = descendants_of(alpha_gateway->pid());
  CHECK_FALSE(helpers.empty());
  CHECK(std::any_of(helpers.begin(), helpers.end(),
                    [&](const ProcInfo& helper) { return helper.pgid != alpha_gateway->pid(); }));

  // A second instance on alpha's state (another port) refuses to run and leaves alpha alone.
  {
    auto duplicate = alpha.launch("alpha-duplicate", moltbot::test::find_free_port_block());
    auto exit = duplicate->wait_for_exit(std::chrono::duration_cast<std::chrono::milliseconds>(healthy_deadline));
    INFO("duplicate stderr:\n" << duplicate->err());
    REQUIRE(exit);
    CHECK(exit->code == 78);
    CHECK(healthy(alpha.port));
  }

  // SIGTERM: an idle gateway stops cleanly (about 0.5 s on a quiet machine; its drain budget
  // allows minutes when busy, so only the status is checked).
  for (auto* gateway : {alpha_gateway.get(), beta_gateway.get()}) {
    const auto signalled = std::chrono::steady_clock::now();
    gateway->signal(SIGTERM);
    auto exit = gateway->wait_for_exit(120s);
    REQUIRE(exit);
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled);
    WARN("SIGTERM -> exit " << exit->code << " signal " << exit->signal << " after " << took.count() << " ms");
    CHECK((exit->code == 0 || exit->code == 143 || exit->signal == SIGTERM));
  }
}
