#pragma once
// Starting moltbot-gateway as a process in a temporary HOME on free loopback ports.
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
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

  // Polls GET /healthz on `gateway_port` until it answers 200.
  static bool wait_healthy(int gateway_port, std::chrono::milliseconds timeout = start_deadline);

  static nlohmann::json status(int gateway_port);

  std::filesystem::path state_dir(const std::string& profile) const { return home.path() / (".clawdbot-" + profile); }

 private:
  int started_ = 0;
};

}  // namespace moltbot::test
