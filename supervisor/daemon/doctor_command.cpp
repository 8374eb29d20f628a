#include "doctor_command.h"

#include <unistd.h>

#include <fmt/format.h>

#include "check_command.h"
#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/doctor/checklist.h"
#include "moltbot/doctor/gateway_units.h"
#include "moltbot/doctor/gateway_users.h"
#include "moltbot/doctor/port_holders.h"
#include "moltbot/doctor/stray_state_dirs.h"

namespace moltbot::daemon {
namespace {

using namespace moltbot::doctor;

// The manifest's own problems, summed up: `check` lists them one by one. The other checks still
// run on whatever part of the manifest loaded.
CheckItem manifest_item(const config::CheckedManifest& checked, const std::string& name) {
  CheckItem item;
  item.check = "manifest";
  item.title = "manifest " + name;
  int errors = 0, warnings = 0;
  for (const config::Diagnostic& diagnostic : checked.diagnostics) {
    errors += diagnostic.severity == config::Severity::error;
    warnings += diagnostic.severity == config::Severity::warning;
  }
  const std::size_t profiles = checked.manifest ? checked.manifest->profiles.size() : 0;
  item.summary = fmt::format("{} profile{}", profiles, profiles == 1 ? "" : "s");
  if (errors + warnings > 0) {
    Finding finding;
    finding.severity = errors > 0 ? Severity::error : Severity::warning;
    finding.code = "manifest-invalid";
    finding.message = fmt::format("the manifest has {} error{} and {} warning{}", errors, errors == 1 ? "" : "s",
                                  warnings, warnings == 1 ? "" : "s");
    finding.fix = fmt::format("`moltbot-supervisord check {}` lists each one with its line", name);
    finding.details = {{"errors", errors}, {"warnings", warnings}};
    item.findings.push_back(std::move(finding));
  }
  item.details = {{"profiles", profiles}};
  return item;
}

// The folders the supervisor would write into that other users may write: check's untrusted-dir
// errors (also counted in the manifest item), one finding each, at the manifest line that names
// the folder.
CheckItem directories_item(const config::CheckedManifest& checked) {
  CheckItem item;
  item.check = "directories";
  item.title = "folders the supervisor writes into";
  for (const config::Diagnostic& diagnostic : checked.diagnostics) {
    if (diagnostic.code != "untrusted-dir") continue;
    const auto& where = diagnostic.where;
    Finding finding;
    finding.code = diagnostic.code;
    finding.message = fmt::format("{}:{}:{}: {}", where.file, where.line, where.column, diagnostic.message);
    finding.fix = "give the folder (and each parent named) to root or the supervisor's user and chmod go-w it";
    finding.details = {{"file", where.file}, {"line", where.line}, {"column", where.column}};
    if (!diagnostic.profile.empty()) finding.details["profile"] = diagnostic.profile;
    item.findings.push_back(std::move(finding));
  }
  item.summary = item.findings.empty() ? "none that other users may write"
                                       : fmt::format("{} that other users may write or own", item.findings.size());
  return item;
}

// The limits of the manifest this host cannot enforce, and why (check's limit-not-enforced).
CheckItem limits_item(const config::Manifest& manifest, const Environment& env) {
  CheckItem item;
  item.check = "limits";
  item.title = "limits";
  config::Diagnostics warnings;
  add_limit_warnings(manifest, env, warnings);
  for (const config::Diagnostic& warning : warnings) {
    Finding finding;
    finding.severity = Severity::warning;
    finding.code = warning.code;
    finding.message = warning.message;
    finding.fix = "run the supervisor where it may enforce them (as root; under systemd with Delegate=yes on a host "
                  "with cgroup v2 and the memory, cpu and pids controllers), or drop them";
    finding.details = {{"profile", warning.profile}};
    item.findings.push_back(std::move(finding));
  }
  item.summary = item.findings.empty() ? "every limit of the manifest can be enforced here"
                                       : fmt::format("{} cannot be enforced here", item.findings.size());
  return item;
}

UnitDirs unit_dirs(const DoctorOptions& options, const Environment& env) {
  UnitDirs dirs = default_unit_dirs(env);
  if (!options.system_unit_dirs.empty()) dirs.system.assign(options.system_unit_dirs.begin(), options.system_unit_dirs.end());
  if (!options.user_unit_dirs.empty()) dirs.user.assign(options.user_unit_dirs.begin(), options.user_unit_dirs.end());
  return dirs;
}

}  // namespace

int run_doctor(const DoctorOptions& options, const Environment& env, std::ostream& out) {
  const config::CheckedManifest checked = config::check_manifest(options.manifest_path, env);
  if (checked.file_error) {
    out << (options.json ? config::render_json({*checked.file_error}) : config::render_text(*checked.file_error));
    return exit_usage;
  }
  const config::Manifest manifest = checked.manifest.value_or(config::Manifest{});
  const std::string& name = options.manifest_path;

  Checklist checklist{name, {manifest_item(checked, name), directories_item(checked)}};
  for (CheckItem& item : check_ports(manifest, name)) checklist.items.push_back(std::move(item));
  checklist.items.push_back(check_gateway_units(unit_dirs(options, env)));
  checklist.items.push_back(check_gateway_users(manifest, ::geteuid()));
  checklist.items.push_back(check_state_dirs(manifest, state_dir_folders(manifest, env), name));
  checklist.items.push_back(limits_item(manifest, env));

  out << (options.json ? render_json(checklist) : render_text(checklist));
  return checklist.count(Severity::error) > 0 ? exit_doctor_errors : exit_doctor_ok;
}

}  // namespace moltbot::daemon
