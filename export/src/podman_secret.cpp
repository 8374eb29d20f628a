#include <array>

#include "moltbot/export/export_fleet.h"
#include "export_diagnostic.h"
#include "object_names.h"
#include "pod_environment.h"

namespace moltbot::fleet_export {
namespace {

// podman decodes the secret as JSON of map[string][]byte, and Go writes []byte as base64.
std::string base64(std::string_view bytes) {
  static constexpr std::array<char, 65> alphabet{"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"};
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t count = std::min<std::size_t>(3, bytes.size() - i);
    unsigned group = 0;
    for (std::size_t k = 0; k < 3; ++k)
      group = (group << 8) | (k < count ? static_cast<unsigned char>(bytes[i + k]) : 0U);
    for (std::size_t k = 0; k < 4; ++k)
      out += k <= count ? alphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
  }
  return out;
}

}  // namespace

PodmanSecret podman_secret(const config::Profile& profile) {
  PodmanSecret result{secret_name(profile), {}, {}};
  const PodEnvironment environment = pod_environment(profile);
  if (environment.error) {
    result.diagnostics.push_back(profile_diagnostic(config::Severity::error, "export-env-file", profile, "env_file",
                                                    "env_file cannot be read: " + *environment.error));
    return result;
  }
  if (environment.secret.empty()) return result;
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, value] : environment.secret) values[name] = base64(value);
  result.json = values.dump() + "\n";
  return result;
}

}  // namespace moltbot::fleet_export
