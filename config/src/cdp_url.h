#pragma once
// The port a browser profile's cdpUrl occupies on this machine, if any.
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::config::loader {

struct CdpEndpoint {
  std::string host;  // without brackets: "127.0.0.1", "::1", "chrome.internal"
  int port = 0;      // explicit, or the scheme's default
  bool loopback = false;
};

// http/https/ws/wss URLs only; nullopt when malformed or when the port is not 1..65535.
std::optional<CdpEndpoint> parse_cdp_url(std::string_view url);

}  // namespace moltbot::config::loader
