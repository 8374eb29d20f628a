#pragma once
// The supervisor passes --port, but the gateway's own CLI (`openclaw --profile NAME ...`) finds
// the gateway through gateway.port in its config file: the two must agree, or the user's CLI
// talks to another gateway (or none). A missing file is fine: the supervisor creates it with the
// port before the first start (seed_gateway_config).
#include <filesystem>
#include <optional>

#include "field_reader.h"
#include "gateway_config_file.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// config-contradiction (an error) when the file's gateway.port is another port than `port`;
// config-port-missing (a warning, with the command that adds it) when a readable file has none.
// `profile` is resolved (ports, cli); `home` locates the CLI's own default config path.
void check_gateway_port(const Profile& profile, const Pinned<int>& port, const GatewayConfigFile& file,
                        const std::optional<std::filesystem::path>& home, const FieldReader& reader);

}  // namespace moltbot::config::loader
