#pragma once
// moltbot-gateway's command line: `--profile NAME --port N [--bind loopback|lan]`, the same
// spelling as the real gateway's `gateway` subcommand. Pure: no environment, no files.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace moltbot::gateway {

// Where the gateway and canvas listeners bind; browser control is loopback-only either way.
enum class BindMode { loopback, lan };

struct CommandLine {
  std::optional<std::string> profile;
  std::optional<int> port;
  BindMode bind = BindMode::loopback;
  bool helper = false;  // internal: run as the helper process of the spawn_helper test fault
  bool help = false;
};

struct CommandLineResult {
  std::optional<CommandLine> command_line;
  std::string error;  // set when command_line is empty
};

// A decimal port number 1..65535 and nothing else.
std::optional<int> parse_port(std::string_view text);

// `args` excludes argv[0].
CommandLineResult parse_command_line(std::span<const char* const> args);

std::string usage_text();

}  // namespace moltbot::gateway
