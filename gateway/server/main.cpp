// moltbot-gateway: the bundled gateway that moltbot-supervisord runs by default. It occupies the
// same ports, paths and lock as the real OpenClaw gateway (spec section 1) at a few MB of memory,
// and answers the same supervisor-facing CLI commands (cli_commands.h).
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "atomic_file.h"
#include "cli_commands.h"
#include "command_line.h"
#include "exit_codes.h"
#include "faults.h"
#include "gateway.h"
#include "helper_process.h"
#include "instance_lock.h"
#include "log.h"
#include "moltbot/common/private_directories.h"
#include "settings.h"
#include "state_database.h"

using namespace moltbot::gateway;

int main(int argc, char** argv) {
  auto parsed = parse_command_line(std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc - 1)));
  if (!parsed.command_line) {
    log_line("{}", parsed.error);
    fmt::print(stderr, "{}", usage_text());
    return exit_code::usage;
  }
  const CommandLine& command_line = *parsed.command_line;
  if (command_line.help) {
    fmt::print("{}", usage_text());
    return exit_code::ok;
  }
  const moltbot::Environment env = moltbot::current_environment();
  FaultsResult faults = parse_faults(moltbot::lookup(env, faults_variable).value_or(""));
  // The helper gets the gateway's environment, faults included.
  if (command_line.helper) return run_helper(faults.faults.ignore_sigterm);
  if (command_line.command != Command::run) return run_cli_command(command_line, env);

  if (faults.error) {
    log_line("{}", *faults.error);
    return exit_code::usage;
  }
  if (faults.faults.crash_at_start) {
    log_line("crashing at start (test fault crash_at_start)");
    std::abort();
  }

  SettingsResult settings = resolve_settings(command_line, env);
  if (!settings.settings) {
    log_line("{}", settings.error);
    return settings.exit_code;
  }
  for (const auto* dir : {&settings.settings->state_dir, &settings.settings->workspace}) {
    if (auto error = moltbot::make_private_directories(*dir)) {
      log_line("{}", *error);
      return exit_code::failure;
    }
  }

  // Before any port is bound: a duplicate must not even briefly answer on a free port.
  LockAttempt lock = acquire_instance_lock(settings.settings->state_dir, settings.settings->config_path);
  if (lock.held_by_other) {
    log_line("another gateway instance{} already runs with config {}: lock {} is held; exiting",
             lock.holder_pid ? fmt::format(" (pid {})", *lock.holder_pid) : std::string(),
             settings.settings->config_path.string(), lock.lock_path.string());
    return exit_code::config;
  }
  if (!lock.lock) {
    log_line("{}", lock.error);
    return exit_code::failure;
  }

  // Under the lock: no other instance of this profile writes the database meanwhile.
  const SchemaVersionResult schema = supported_schema_version(env);
  if (schema.error) {
    log_line("{}", *schema.error);
    return exit_code::usage;
  }
  StateDatabase::Opened database = StateDatabase::open(settings.settings->state_dir, schema.version);
  if (!database.database) {
    log_line("{}", database.error);
    return database.too_new ? exit_code::config : exit_code::failure;
  }

  boost::asio::io_context io(1);
  Gateway gateway(io, std::move(*settings.settings), faults.faults, std::move(*lock.lock), std::move(database.database));
  gateway.start();
  io.run();
  return gateway.exit_code();
}
