#pragma once
// Base64 (RFC 4648, with padding) for bytes that must cross JSON unchanged: podman secrets, the
// output of a command run through the control socket.
#include <optional>
#include <string>
#include <string_view>

namespace moltbot {

std::string base64_encode(std::string_view bytes);
// std::nullopt when `text` is not padded base64 of the standard alphabet.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace moltbot
