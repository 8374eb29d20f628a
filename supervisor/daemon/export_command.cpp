#include "export_command.h"

#include "check_command.h"
#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/export/export_fleet.h"

namespace moltbot::daemon {
namespace {

using namespace moltbot::config;
namespace fx = moltbot::fleet_export;

int print_podman_secret(const ExportCommandOptions& options, const Manifest& manifest, std::ostream& out,
                        std::ostream& err) {
  const Profile* profile = manifest.find(options.profile);
  if (!profile) {
    err << "moltbot-supervisord: export: --format podman-secret needs --profile NAME of a profile in "
        << options.manifest_path << '\n';
    return exit_usage;
  }
  const fx::PodmanSecret secret = fx::podman_secret(*profile);
  err << render_text(secret.diagnostics);
  if (has_errors(secret.diagnostics)) return exit_invalid;
  if (secret.json.empty()) {
    err << "moltbot-supervisord: export: profile \"" << profile->name << "\" has no secrets (no env_file, no "
        << "secret-named env)\n";
    return exit_invalid;
  }
  out << secret.json;
  return exit_valid;
}

}  // namespace

int run_export(const ExportCommandOptions& options, const Environment& env, std::ostream& out, std::ostream& err) {
  const CheckedManifest checked = check_manifest(options.manifest_path, env);
  if (checked.file_error) {
    err << render_text(*checked.file_error);
    return exit_usage;
  }
  if (!checked.valid()) {
    err << render_text(checked.diagnostics);
    return exit_invalid;
  }
  const Manifest& manifest = *checked.manifest;
  if (options.format == "podman-secret") {
    err << render_text(checked.diagnostics);
    return print_podman_secret(options, manifest, out, err);
  }

  fx::ExportOptions export_options;
  export_options.target = options.format == "podman" ? fx::Target::podman : fx::Target::kubernetes;
  if (!options.namespace_name.empty()) export_options.namespace_name = options.namespace_name;
  export_options.image = options.image;
  export_options.storage = options.storage;
  fx::FleetExport exported = fx::export_fleet(manifest, export_options);

  Diagnostics diagnostics = checked.diagnostics;
  diagnostics.insert(diagnostics.end(), exported.diagnostics.begin(), exported.diagnostics.end());
  err << render_text(diagnostics);
  if (has_errors(diagnostics)) return exit_invalid;
  out << fx::render_yaml(exported.objects);
  return exit_valid;
}

}  // namespace moltbot::daemon
