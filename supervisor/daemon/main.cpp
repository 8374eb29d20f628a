// moltbot-supervisord: command-line dispatch only. Without a subcommand it runs the fleet.
#include <exception>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "check_command.h"
#include "doctor_command.h"
#include "export_command.h"
#include "run_command.h"

namespace {

constexpr int exit_internal_error = 70;  // EX_SOFTWARE: a bug, never a verdict on the manifest

int run(int argc, char** argv) {
  using namespace moltbot::daemon;
  CLI::App app{"Supervises a fleet of Moltbot/OpenClaw gateways on one host.\n"
               "Without a subcommand, runs the fleet described by the manifest.",
               "moltbot-supervisord"};
  app.set_version_flag("--version", "moltbot-supervisord " MOLTBOT_VERSION);
  std::string manifest = "/etc/moltbot/fleet.yaml";
  app.add_option("--manifest", manifest, "Fleet manifest to run")->capture_default_str();
  RunOptions run_options;
  app.add_option("--status-file", run_options.status_file,
                 "Write the fleet's status as JSON to this file (atomically) whenever it changes");
  app.add_flag("--ready-when-healthy", run_options.ready_when_healthy,
               "Under systemd (Type=notify), report the service ready only once every autostart profile "
               "has been healthy, not as soon as each has been started");
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

  DoctorOptions doctor;
  CLI::App* doctor_command = app.add_subcommand(
      "doctor",
      "Preflight on a live host: who holds each footprint port now, gateway units of other service "
      "managers, gateway state dirs missing from the manifest. A checklist with a fix for each finding.\n"
      "Exit status: 0 nothing stops the fleet (warnings allowed), 1 problems found, 2 usage error or "
      "unreadable file.");
  doctor_command->add_flag("--json", doctor.json, "Print the checklist as a JSON object");
  doctor_command->add_option("--system-unit-dir", doctor.system_unit_dirs,
                             "Search this folder for system unit files instead of systemd's (repeatable; "
                             "for tests and chroots)")
      ->allow_extra_args(false);
  doctor_command->add_option("--user-unit-dir", doctor.user_unit_dirs,
                             "Search this folder for user unit files instead of systemd's (repeatable; "
                             "for tests and chroots)")
      ->allow_extra_args(false);
  doctor_command->add_option("MANIFEST", doctor.manifest_path, "Fleet manifest (YAML); default: --manifest");

  ExportCommandOptions export_options;
  export_options.image = "localhost/moltbot-gateway:" MOLTBOT_VERSION;
  CLI::App* export_command = app.add_subcommand(
      "export",
      "Check a fleet manifest as `check` does, then print it as Kubernetes objects (a StatefulSet, Service "
      "and Secret per profile) or as Pods for `podman kube play` on this host (docs/kubernetes.md).\n"
      "Exit status: 0 exported (warnings on stderr), 1 invalid or not expressible, 2 usage error or "
      "unreadable file.");
  export_command->add_option("--format", export_options.format,
                             "kubernetes, podman, or podman-secret (the JSON `podman secret create` takes for "
                             "--profile's secrets)")
      ->check(CLI::IsMember({"kubernetes", "podman", "podman-secret"}))
      ->capture_default_str();
  export_command->add_option("--namespace", export_options.namespace_name, "metadata.namespace of every object");
  export_command->add_option("--image", export_options.image, "The gateways' container image")
      ->capture_default_str();
  export_command->add_option("--storage", export_options.storage,
                             "Size requested by each PersistentVolumeClaim (kubernetes)")
      ->capture_default_str();
  export_command->add_option("--profile", export_options.profile, "The profile whose secret --format podman-secret prints");
  export_command->add_option("MANIFEST", export_options.manifest_path, "Fleet manifest (YAML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);  // prints help, or the error and a hint
    return status == 0 ? 0 : exit_usage;
  }

  if (*check_command) return run_check(check, moltbot::current_environment(), std::cout);
  if (*export_command)
    return run_export(export_options, moltbot::current_environment(), std::cout, std::cerr);
  if (*doctor_command) {
    if (doctor.manifest_path.empty()) doctor.manifest_path = manifest;
    return run_doctor(doctor, moltbot::current_environment(), std::cout);
  }
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
