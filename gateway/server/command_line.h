#pragma once
// moltbot-gateway's command line, spelled like the real gateway's CLI (docs/gateway.md,
// "Command line"). Pure: no environment, no files.
//   moltbot-gateway [--profile NAME] [--port N] [--bind loopback|lan]          run the gateway
//   moltbot-gateway [--profile NAME] gateway [run] [--port N] [--bind ...]     the same
//   moltbot-gateway [--profile NAME] gateway restart-handoff capabilities [--json]
//   moltbot-gateway [--profile NAME] gateway restart-handoff consume --expected-pid PID [--json]
//   moltbot-gateway [--profile NAME] gateway restart [--port N] [--wait-timeout DUR]
//   moltbot-gateway [--profile NAME] gateway status [--port N]
//   moltbot-gateway [--profile NAME] gateway install|uninstall|start|stop [...]
//   moltbot-gateway [--profile NAME] config set PATH VALUE [--strict-json]
//   moltbot-gateway database preflight FILE [--json]
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moltbot::gateway {

// Where the gateway and canvas listeners bind; browser control is loopback-only either way.
enum class BindMode { loopback, lan };

enum class Command { run, handoff_capabilities, handoff_consume, restart, status, service, config_set, database_preflight };

struct CommandLine {
  Command command = Command::run;
  std::optional<std::string> profile;
  std::optional<int> port;
  BindMode bind = BindMode::loopback;
  bool helper = false;  // internal: run as the helper process of the spawn_helper test fault
  bool help = false;

  // consume: every --expected-pid value as written, and whether anything else was given. The
  // command judges them itself, as the real one does, to answer in its JSON.
  std::vector<std::string> expected_pids;
  bool consume_extra_arguments = false;

  std::string service_verb;  // service: install, uninstall, start or stop

  std::string config_key;    // config set: a dot path such as gateway.port
  std::string config_value;
  bool strict_json = false;

  // database preflight: the copied database, empty when missing (the command says so, as the
  // real one does, rather than the parser)
  std::string preflight_path;
  bool json = false;

  std::chrono::milliseconds wait_timeout{60000};  // restart: how long to wait for the new gateway
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
