#include "gateway_port_check.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "moltbot/common/paths.h"
#include "moltbot/config/placeholders.h"

namespace moltbot::config::loader {
namespace {

// One word for a POSIX shell: as it is when that is safe, else in single quotes.
std::string shell_word(std::string_view word) {
  const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_@%+=:,./-") == std::string_view::npos;
  if (plain) return std::string(word);
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// The command that writes gateway.port into the profile's config file, run as the user types
// it: the profile's cli, pointed at the file when the CLI would look elsewhere by default.
std::string port_setting_command(const Profile& profile, int port, const std::optional<std::filesystem::path>& home) {
  std::string command;
  const bool default_file =
      home && profile.config_path ==
                  normalise_path(default_config_path(default_state_dir(*home, profile.name, Layout::openclaw),
                                                     Layout::openclaw))
                      .string();
  if (!default_file) command = "OPENCLAW_CONFIG_PATH=" + shell_word(profile.config_path) + " ";
  for (const std::string& word : profile.cli) {
    ExpandResult expanded = expand_placeholders(word, profile);
    command += shell_word(expanded.error ? word : expanded.text) + " ";
  }
  return command + fmt::format("config set gateway.port {} --strict-json", port);
}

}  // namespace

void check_gateway_port(const Profile& profile, const Pinned<int>& port, const GatewayConfigFile& file,
                        const std::optional<std::filesystem::path>& home, const FieldReader& reader) {
  if (file.gateway_port && file.gateway_port->value != port.value) {
    reader.field_error("config-contradiction", port.where, "port",
                       fmt::format("{} contradicts gateway.port = {} in {}, where the gateway's own CLI looks for "
                                   "the gateway",
                                   port.value, file.gateway_port->value, profile.config_path),
                       {RelatedNote{"gateway.port is set here", file.gateway_port->where}});
    return;
  }
  if (!file.lacks_gateway_port) return;
  const std::string fix = profile.cli.empty()
                              ? fmt::format("add \"gateway\": {{\"port\": {}}} to it", port.value)
                              : "run " + port_setting_command(profile, port.value, home);
  reader.report(Severity::warning, "config-port-missing", port.where,
                fmt::format("gateway config file {} has no gateway.port, so the gateway's own CLI looks for the "
                            "gateway on another port than {}; {}",
                            profile.config_path, port.value, fix));
}

}  // namespace moltbot::config::loader
