#pragma once
// The gateway config file the supervisor creates for a profile that has none, before each start:
// the gateway's own CLI (`openclaw --profile NAME ...`) finds the supervised gateway only through
// gateway.port in that file, and derives its browser and canvas ports from the same file.
#include <optional>
#include <string>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

struct ConfigSeed {
  bool created = false;              // the file did not exist and now does, with `settings`
  std::string settings;              // what it holds: "gateway.port 18789, canvasHost.port 19005"
  std::optional<std::string> error;  // why it could not be created; names the path
  int error_number = 0;              // the errno behind `error`, when a system call failed
};

// The file's content: {"gateway": {"port": P}} plus the ports the profile pins
// (browser.controlPort, canvasHost.port, browser.cdpPortRangeStart,
// browser.profiles.NAME.cdpPort|cdpUrl), as JSON.
std::string gateway_config_seed_text(const Profile& profile);

// Creates profile.config_path when it does not exist: missing parent folders 0700, the file 0600
// (both the gateway's own when it runs as another user: make_gateway_directory),
// written to a temporary file in the same folder, fsynced and linked into place, so neither a file
// that appears meanwhile is replaced nor a symlink planted at the path is followed. When the path
// exists (a file, or a symlink to one) nothing is written: one stat().
ConfigSeed seed_gateway_config(const Profile& profile);

}  // namespace moltbot::config
