#include "cdp_url.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "moltbot/common/profile_defaults.h"

namespace moltbot::config::loader {
namespace {

struct Scheme {
  std::string_view prefix;
  int default_port;
};

constexpr std::array<Scheme, 4> schemes{{{"http://", 80}, {"https://", 443}, {"ws://", 80}, {"wss://", 443}}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// 127.0.0.0/8, ::1, localhost (with subdomains, loopback by RFC 6761) and 0.0.0.0, which a
// client connects to as this machine.
bool is_loopback(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost") || host == "::1" || host == "0.0.0.0") return true;
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  std::size_t start = 0;
  while (start <= host.size()) {
    const auto dot = std::min(host.find('.', start), host.size());
    int octet = -1;
    const auto [end, error] = std::from_chars(host.data() + start, host.data() + dot, octet);
    if (error != std::errc() || end != host.data() + dot || octet > 255) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

}  // namespace

std::optional<CdpEndpoint> parse_cdp_url(std::string_view url) {
  const std::string lowered = lower(url);
  const Scheme* scheme = nullptr;
  for (const Scheme& candidate : schemes)
    if (lowered.starts_with(candidate.prefix)) scheme = &candidate;
  if (!scheme) return std::nullopt;
  std::string_view rest = std::string_view(lowered).substr(scheme->prefix.size());
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);

  CdpEndpoint endpoint;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    endpoint.host = std::string(rest.substr(1, close - 1));
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return std::nullopt;
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const auto colon = rest.find(':');
    endpoint.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (endpoint.host.empty()) return std::nullopt;
  endpoint.port = scheme->default_port;
  if (!port_text.empty()) {
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), endpoint.port);
    if (error != std::errc() || end != port_text.data() + port_text.size()) return std::nullopt;
  }
  if (endpoint.port < 1 || endpoint.port > max_port) return std::nullopt;
  endpoint.loopback = is_loopback(endpoint.host);
  return endpoint;
}

}  // namespace moltbot::config::loader
