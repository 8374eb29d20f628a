#include "gateway_fixture.h"

#include <sys/stat.h>

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

ProcessResult GatewayFixture::run(const std::vector<std::string>& args,
                                  const std::map<std::string, std::string>& extra_env) const {
  ProcessRun run;
  run.argv = {MOLTBOT_GATEWAY_BIN};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env = base_env();
  for (const auto& [name, value] : extra_env) run.env[name] = value;
  return run_process(run);
}

std::map<std::string, std::string> GatewayFixture::profile_env(const std::string& profile) const {
  return {{"OPENCLAW_PROFILE", profile},
          {"OPENCLAW_STATE_DIR", state_dir(profile).string()},
          {"OPENCLAW_CONFIG_PATH", config_path(profile).string()},
          {"OPENCLAW_GATEWAY_PORT", std::to_string(port)}};
}

bool GatewayFixture::wait_started(int gateway_port, std::chrono::milliseconds timeout) {
  return wait_until(
      [&] {
        auto reply = http_get("127.0.0.1", gateway_port, "/startupz", std::chrono::milliseconds(500));
        return reply.ok() && reply.response->body.find(R"("status":"started")") != std::string::npos;
      },
      timeout);
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

bool stderr_contains(const ChildProcess& child, const std::string& text) {
  return child.err().find(text) != std::string::npos;
}

std::optional<unsigned> mode_of(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return info.st_mode & 0777;
}

}  // namespace moltbot::test
