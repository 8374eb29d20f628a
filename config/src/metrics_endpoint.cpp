#include "moltbot/config/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include <charconv>

namespace moltbot::config {

namespace {

constexpr const char* expected = "expected HOST:PORT with HOST an IP address (127.0.0.1:9464, [::1]:9464) or a port";

std::variant<int, std::string> parse_port(std::string_view text) {
  int port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc() || end != text.data() + text.size()) return fmt::format("\"{}\": {}", text, expected);
  if (port < 1 || port > 65535) return fmt::format("port {} is out of range (1..65535)", text);
  return port;
}

}  // namespace

std::variant<MetricsEndpoint, std::string> parse_metrics_endpoint(std::string_view text) {
  MetricsEndpoint endpoint;
  std::string_view port_text = text;
  const auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    auto host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
    if (bracketed) host = host.substr(1, host.size() - 2);
    unsigned char address[16];
    const std::string host_text(host);
    const bool v4 = !bracketed && ::inet_pton(AF_INET, host_text.c_str(), address) == 1;
    const bool v6 = bracketed && ::inet_pton(AF_INET6, host_text.c_str(), address) == 1;
    if (!v4 && !v6) return fmt::format("\"{}\": {}", text, expected);
    endpoint.address = host_text;
  }
  auto port = parse_port(port_text);
  if (auto* problem = std::get_if<std::string>(&port)) return *problem;
  endpoint.port = std::get<int>(port);
  return endpoint;
}

bool is_loopback(const MetricsEndpoint& endpoint) {
  in_addr v4{};
  if (::inet_pton(AF_INET, endpoint.address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return ::inet_pton(AF_INET6, endpoint.address.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

}  // namespace moltbot::config
