#include "check_command.h"

#include <fmt/format.h>

#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/runtime/limit_support.h"

namespace moltbot::daemon {
namespace {

using namespace moltbot::config;

std::string profile_count(const Manifest& manifest) {
  const std::size_t count = manifest.profiles.size();
  return fmt::format("{} profile{}", count, count == 1 ? "" : "s");
}

void print_json(const CheckOptions& options, const Diagnostics& diagnostics, const Manifest* manifest,
                std::ostream& out) {
  out << (options.ports ? render_ports_json(diagnostics, manifest) : render_json(diagnostics));
}

}  // namespace

void add_limit_warnings(const Manifest& manifest, const Environment& env, Diagnostics& diagnostics) {
  const auto support = runtime::host_limit_support(env);
  for (const auto& profile : manifest.profiles)
    for (const auto& limit : runtime::unenforceable_limits(profile, support)) {
      // Only what the manifest sets: the rescue profile's default oom_score_adj is the
      // supervisor's to try, and its log says when it cannot.
      if (!profile.field_locations.contains(limit.field)) continue;
      Diagnostic warning;
      warning.severity = Severity::warning;
      warning.code = "limit-not-enforced";
      warning.message = fmt::format("profile \"{}\": field \"{}\": {}", profile.name, limit.field, limit.reason);
      warning.where = profile.location_of(limit.field);
      warning.profile = profile.name;
      diagnostics.push_back(std::move(warning));
    }
}

int run_check(const CheckOptions& options, const Environment& env, std::ostream& out) {
  const CheckedManifest checked = check_manifest(options.manifest_path, env);
  if (checked.file_error) {
    if (options.json)
      print_json(options, {*checked.file_error}, nullptr, out);
    else
      out << render_text(*checked.file_error);
    return exit_usage;
  }

  Diagnostics diagnostics = checked.diagnostics;
  if (checked.manifest) add_limit_warnings(*checked.manifest, env, diagnostics);
  const Manifest* manifest = checked.manifest ? &*checked.manifest : nullptr;
  if (options.json) {
    print_json(options, diagnostics, manifest, out);
  } else {
    if (options.ports && manifest) {
      out << render_port_table(*manifest);
      if (!diagnostics.empty()) out << '\n';
    }
    if (!diagnostics.empty())
      out << render_text(diagnostics);
    else if (manifest)
      out << fmt::format("{}: {}, no conflicts\n", options.manifest_path, profile_count(*manifest));
  }
  return checked.valid() ? exit_valid : exit_invalid;
}

}  // namespace moltbot::daemon
