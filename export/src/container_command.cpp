#include "container_command.h"

#include <fmt/format.h>

#include "export_diagnostic.h"
#include "moltbot/gateway/launch_spec.h"

namespace moltbot::fleet_export {
namespace {

using config::Severity;

constexpr std::string_view bind_option = "--bind";

// The gateway's `--bind loopback` (its default too) becomes `--bind lan`; another mode is the
// operator's choice and stays.
void bind_beyond_loopback(const config::Profile& profile, std::vector<std::string>& argv,
                          config::Diagnostics& diagnostics) {
  const std::string joined = fmt::format("{}=", bind_option);
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string* mode = nullptr;
    std::string inline_mode;
    if (argv[i] == bind_option && i + 1 < argv.size()) {
      mode = &argv[i + 1];
    } else if (argv[i].starts_with(joined)) {
      inline_mode = argv[i].substr(joined.size());
      mode = &inline_mode;
    }
    if (!mode) continue;
    if (*mode != "loopback") return;
    if (mode == &inline_mode)
      argv[i] = joined + "lan";
    else
      *mode = "lan";
    diagnostics.push_back(profile_diagnostic(
        Severity::note, "export-bind", profile, "command",
        "`--bind loopback` becomes `--bind lan` in the pod: probes and the Service reach the pod's address, "
        "not its loopback"));
    return;
  }
  argv.insert(argv.end(), {std::string(bind_option), "lan"});
  diagnostics.push_back(profile_diagnostic(
      Severity::note, "export-bind", profile, "command",
      "`--bind lan` is added in the pod (the gateway binds loopback by default): probes and the Service reach "
      "the pod's address, not its loopback"));
}

}  // namespace

void report_host_paths(const config::Profile& profile, const std::string& field, const std::vector<std::string>& argv,
                       const std::vector<ProfileVolume>& volumes, config::Diagnostics& diagnostics) {
  for (const auto& argument : argv)
    if (argument.starts_with('/') && !inside_volumes(argument, volumes))
      diagnostics.push_back(profile_diagnostic(
          Severity::warning, "export-host-path", profile, field,
          fmt::format("{} names the host path {}, which no volume of the pod holds: the image must provide it",
                      field, argument)));
}

std::optional<std::vector<std::string>> container_command(const config::Profile& profile,
                                                          const std::vector<ProfileVolume>& volumes,
                                                          config::Diagnostics& diagnostics) {
  auto expanded = gateway::expand_arguments(profile.command, profile);
  if (auto* error = std::get_if<std::string>(&expanded)) {
    diagnostics.push_back(profile_diagnostic(Severity::error, "export-command", profile, "command", "command: " + *error));
    return std::nullopt;
  }
  auto argv = std::get<std::vector<std::string>>(std::move(expanded));
  if (argv.empty()) {
    diagnostics.push_back(profile_diagnostic(Severity::error, "export-command", profile, "command", "command is empty"));
    return std::nullopt;
  }
  if (!gateway::command_line_secrets(argv).empty()) {
    diagnostics.push_back(profile_diagnostic(
        Severity::error, "export-inline-secret", profile, "command",
        "command carries a --token or --password value, which the pod spec would show to anyone who can read "
        "it; put the token in env_file (OPENCLAW_GATEWAY_TOKEN)"));
    return std::nullopt;
  }
  report_host_paths(profile, "command", argv, volumes, diagnostics);
  bind_beyond_loopback(profile, argv, diagnostics);
  return argv;
}

}  // namespace moltbot::fleet_export
