#pragma once
// Starting moltbot-gateway as a process in a temporary HOME on free loopback ports.
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"

namespace moltbot::test {

inline constexpr std::chrono::milliseconds start_deadline{10000};

class GatewayFixture {
 public:
  GatewayFixture() : port(find_free_port_block()) {}

  TempDir home{"moltbot-gateway-test"};
  const int port;

  // HOME and PATH only, plus the sanitizer options of this test run.
  std::map<std::string, std::string> base_env() const;

  // moltbot-gateway --profile PROFILE --port <port> EXTRA_ARGS, with base_env() + EXTRA_ENV.
  std::unique_ptr<ChildProcess> start(const std::string& profile, const std::map<std::string, std::string>& extra_env = {},
                                      const std::vector<std::string>& extra_args = {});

  // moltbot-gateway ARGS, with base_env() + EXTRA_ENV.
  std::unique_ptr<ChildProcess> start_with(const std::vector<std::string>& args,
                                           const std::map<std::string, std::string>& extra_env = {});

  // moltbot-gateway ARGS run to completion (a CLI command), with base_env() + EXTRA_ENV.
  ProcessResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra_env = {}) const;

  // What a supervisor puts in the environment of a profile's CLI commands: OPENCLAW_PROFILE,
  // OPENCLAW_STATE_DIR, OPENCLAW_CONFIG_PATH and OPENCLAW_GATEWAY_PORT (<port>).
  std::map<std::string, std::string> profile_env(const std::string& profile) const;

  // Polls GET /healthz on `gateway_port` until it answers 200.
  static bool wait_healthy(int gateway_port, std::chrono::milliseconds timeout = start_deadline);

  // Polls GET /startupz on `gateway_port` until it says "started".
  static bool wait_started(int gateway_port, std::chrono::milliseconds timeout = start_deadline);

  static nlohmann::json status(int gateway_port);

  // The openclaw layout's defaults: ~/.openclaw-NAME, <state>/openclaw.json.
  std::filesystem::path state_dir(const std::string& profile) const { return home.path() / (".openclaw-" + profile); }
  std::filesystem::path config_path(const std::string& profile) const { return state_dir(profile) / "openclaw.json"; }

 private:
  int started_ = 0;
};

// True when the child's stderr so far contains `text`.
bool stderr_contains(const ChildProcess& child, const std::string& text);

// The permission bits of `path`; nothing when it cannot be stat'ed.
std::optional<unsigned> mode_of(const std::filesystem::path& path);

}  // namespace moltbot::test
