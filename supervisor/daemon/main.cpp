// moltbot-supervisord: command-line dispatch only. Without a subcommand it runs the fleet.
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "check_command.h"
#include "run_command.h"

namespace {

constexpr int exit_internal_error = 70;  // EX_SOFTWARE: a bug, never a verdict on the manifest

int run(int argc, char** argv) {
  using namespace moltbot::daemon;
  CLI::App app{"Supervises a fleet of Moltbot/OpenClaw gateways on one host.\n"
               "Without a subcommand, runs the fleet described by the manifest.",
               "moltbot-supervisord"};
  std::string manifest = "/etc/moltbot/fleet.yaml";
  app.add_option("--manifest", manifest, "Fleet manifest to run")->capture_default_str();
  RunOptions run_options;
  app.add_option("--status-file", run_options.status_file,
                 "Write the fleet's status as JSON to this file (atomically) whenever it changes");
  app.require_subcommand(0, 1);

  CheckOptions check;
  CLI::App* check_command = app.add_subcommand(
      "check",
      "Validate a fleet manifest without running anything: every problem is reported, compiler-style.\n"
      "Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.");
  check_command->add_flag("--json", check.json, "Print diagnostics as a JSON array");
  check_command->add_flag("--ports", check.ports,
                          "Also print every profile's full port map (with --json: an object with "
                          "\"diagnostics\" and \"profiles\")");
  check_command->add_option("MANIFEST", check.manifest_path, "Fleet manifest (YAML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);  // prints help, or the error and a hint
    return status == 0 ? 0 : exit_usage;
  }

  if (*check_command) return run_check(check, moltbot::current_environment(), std::cout);
  run_options.manifest_path = manifest;

  return run_fleet(run_options, moltbot::current_environment());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "moltbot-supervisord: internal error: " << error.what() << '\n';
    return exit_internal_error;
  }
}
