#include "moltbot/config/supervisor_defaults.h"

#include <filesystem>

namespace moltbot::config {
namespace {

std::optional<std::string> non_empty(const Environment& env, const std::string& name) {
  auto value = lookup(env, name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::filesystem::path private_tmp(uid_t uid) { return "/tmp/moltbot-" + std::to_string(uid); }

}  // namespace

std::string default_socket_path(const Environment& env, uid_t uid) {
  if (auto runtime = non_empty(env, "RUNTIME_DIRECTORY"))
    return (std::filesystem::path(runtime->substr(0, runtime->find(':'))) / "supervisord.sock").string();
  if (uid == 0) return "/run/moltbot/supervisord.sock";
  if (auto xdg = non_empty(env, "XDG_RUNTIME_DIR"))
    return (std::filesystem::path(*xdg) / "moltbot" / "supervisord.sock").string();
  return (private_tmp(uid) / "supervisord.sock").string();
}

std::string default_log_dir(const Environment& env, uid_t uid) {
  if (uid == 0) return "/var/log/moltbot";
  if (auto state = non_empty(env, "XDG_STATE_HOME"))
    return (std::filesystem::path(*state) / "moltbot" / "log").string();
  if (auto home = non_empty(env, "HOME")) return (std::filesystem::path(*home) / ".local/state/moltbot/log").string();
  return (private_tmp(uid) / "log").string();
}

}  // namespace moltbot::config
