#pragma once
// supervisor.metrics as the manifest writes it: `HOST:PORT`, `[IPV6]:PORT`, or a port alone
// (loopback, 127.0.0.1). HOST is an IP literal: a name could resolve elsewhere tomorrow.
#include <string>
#include <string_view>
#include <variant>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

// The endpoint, or what is wrong with `text` (a sentence without the field's name).
std::variant<MetricsEndpoint, std::string> parse_metrics_endpoint(std::string_view text);

// Whether only this host can reach the endpoint (127.0.0.0/8, ::1).
bool is_loopback(const MetricsEndpoint& endpoint);

}  // namespace moltbot::config
