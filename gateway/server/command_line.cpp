#include "command_line.h"

#include <charconv>

namespace moltbot::gateway {

std::optional<int> parse_port(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return value;
}

std::string usage_text() {
  return "usage: moltbot-gateway [--profile NAME] [--port N] [--bind loopback|lan]\n"
         "See docs/gateway.md for environment variables, endpoints and exit codes.\n";
}

CommandLineResult parse_command_line(std::span<const char* const> args) {
  CommandLine result;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto value = [&]() -> std::optional<std::string_view> {
      if (inline_value) return inline_value;
      if (i + 1 < args.size()) return std::string_view(args[++i]);
      return std::nullopt;
    };

    if (arg == "--help" || arg == "-h") {
      result.help = true;
    } else if (arg == "--helper") {
      result.helper = true;
    } else if (arg == "--profile") {
      auto name = value();
      if (!name) return {std::nullopt, "--profile needs a profile name"};
      result.profile = std::string(*name);
    } else if (arg == "--port") {
      auto text = value();
      if (!text) return {std::nullopt, "--port needs a port number"};
      auto port = parse_port(*text);
      if (!port) return {std::nullopt, "--port: \"" + std::string(*text) + "\" is not a port number (1..65535)"};
      result.port = port;
    } else if (arg == "--bind") {
      auto mode = value();
      if (!mode) return {std::nullopt, "--bind needs loopback or lan"};
      if (*mode == "loopback") {
        result.bind = BindMode::loopback;
      } else if (*mode == "lan") {
        result.bind = BindMode::lan;
      } else {
        return {std::nullopt, "--bind: \"" + std::string(*mode) + "\" is not loopback or lan"};
      }
    } else {
      return {std::nullopt, "unknown argument \"" + std::string(args[i]) + "\""};
    }
  }
  return {result, {}};
}

}  // namespace moltbot::gateway
