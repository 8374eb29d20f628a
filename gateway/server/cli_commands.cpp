#include "cli_commands.h"

#include <cstdio>
#include <fmt/format.h>

#include "config_set.h"
#include "database_preflight.h"
#include "exit_codes.h"
#include "gateway_control.h"
#include "handoff_store.h"
#include "settings.h"

namespace moltbot::gateway {
namespace {

void print_json(const nlohmann::ordered_json& value) { fmt::print("{}\n", value.dump(2)); }

// As the real CLI: valid requests answer in JSON with status 0, whatever the outcome; a bad
// --expected-pid is exit 2, a state store that cannot be used exit 1.
int consume(const CommandLine& command_line, const Environment& env) {
  std::optional<long long> pid;
  if (command_line.expected_pids.size() == 1 && !command_line.consume_extra_arguments) {
    pid = parse_expected_pid(command_line.expected_pids.front());
  }
  if (!pid) {
    print_json(consume_error_reply("invalid-expected-pid"));
    return exit_code::usage;
  }
  PathsResult paths = resolve_paths(command_line, env);
  ConsumeOutcome outcome;
  if (paths.paths) outcome = consume_handoff(paths.paths->state_dir, *pid);
  if (!outcome.decision) {
    fmt::print(stderr, "Gateway restart handoff consume failed: {}\n", paths.paths ? outcome.error : paths.error);
    print_json(consume_error_reply("store-unavailable"));
    return exit_code::failure;
  }
  print_json(consume_reply(*outcome.decision));
  return exit_code::ok;
}

// The real gateway's wording for what its external supervisor should do instead.
const char* supervisor_action(const std::string& verb) {
  if (verb == "install") return "install or rewrite the gateway service";
  if (verb == "uninstall") return "uninstall the gateway service";
  if (verb == "start") return "start the gateway";
  return "stop the gateway";
}

int service(const CommandLine& command_line, const Environment& env) {
  const std::string& verb = command_line.service_verb;
  if (externally_supervised(env)) {
    fmt::print(stderr,
               "Gateway {} blocked: Error: OpenClaw gateway lifecycle is managed by an external supervisor "
               "(OPENCLAW_SUPERVISOR_MODE=external). Use that supervisor to {}.\n",
               verb, supervisor_action(verb));
    return exit_code::failure;
  }
  fmt::print(stderr,
             "gateway {}: not supported by the bundled gateway: moltbot-gateway installs no service of its own; "
             "run it under moltbot-supervisord or another process manager\n",
             verb);
  return exit_code::usage;
}

}  // namespace

int run_cli_command(const CommandLine& command_line, const Environment& env) {
  switch (command_line.command) {
    case Command::handoff_capabilities:
      print_json(capabilities_reply());
      return exit_code::ok;
    case Command::handoff_consume: return consume(command_line, env);
    case Command::restart: return run_restart(command_line, env);
    case Command::status: return run_status(command_line, env);
    case Command::service: return service(command_line, env);
    case Command::config_set: return run_config_set(command_line, env);
    case Command::database_preflight: return run_database_preflight(command_line, env);
    case Command::run: break;
  }
  return exit_code::usage;
}

}  // namespace moltbot::gateway
