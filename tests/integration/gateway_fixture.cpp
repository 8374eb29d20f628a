#include "gateway_fixture.h"

#include <cstdlib>

#include "moltbot/test/wait_until.h"

namespace moltbot::test {

std::map<std::string, std::string> GatewayFixture::base_env() const {
  std::map<std::string, std::string> env{{"HOME", home.path().string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) env[name] = value;
  }
  return env;
}

std::unique_ptr<ChildProcess> GatewayFixture::start(const std::string& profile,
                                                    const std::map<std::string, std::string>& extra_env,
                                                    const std::vector<std::string>& extra_args) {
  std::vector<std::string> args{"--profile", profile, "--port", std::to_string(port)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return start_with(args, extra_env);
}

std::unique_ptr<ChildProcess> GatewayFixture::start_with(const std::vector<std::string>& args,
                                                         const std::map<std::string, std::string>& extra_env) {
  ChildOptions options;
  options.argv = {MOLTBOT_GATEWAY_BIN};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = base_env();
  for (const auto& [name, value] : extra_env) options.env[name] = value;
  options.output_dir = home.path();
  options.name = "gateway-" + std::to_string(++started_);
  return std::make_unique<ChildProcess>(options);
}

bool GatewayFixture::wait_healthy(int gateway_port, std::chrono::milliseconds timeout) {
  return wait_until([&] { return http_get("127.0.0.1", gateway_port, "/healthz", std::chrono::milliseconds(500)).ok(); },
                    timeout);
}

nlohmann::json GatewayFixture::status(int gateway_port) {
  HttpResult result = http_get("127.0.0.1", gateway_port, "/status");
  if (!result.ok()) return nlohmann::json();
  return nlohmann::json::parse(result.response->body, nullptr, false);
}

}  // namespace moltbot::test
