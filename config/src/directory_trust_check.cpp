#include "directory_trust_check.h"

#include <filesystem>

#include "moltbot/common/directory_trust.h"
#include "moltbot/config/run_as.h"

namespace moltbot::config::loader {

void check_directory_trust(const Manifest& manifest, const SupervisorDirLocations& where, Diagnostics& out) {
  const auto trust = DirectoryTrust::of_supervisor(manifest.supervisor.socket_group);
  const FieldReader top(out, "", "", "");
  const auto check = [&](const FieldReader& reader, const std::string& dir, const DirectoryTrust& owners,
                         const SourceLocation& at, std::string_view field) {
    if (dir.empty()) return;
    if (auto problem = untrusted_directory(dir, owners))
      reader.field_error("untrusted-dir", at, field, *problem + "; the supervisor refuses to use it");
  };
  const auto& settings = manifest.supervisor;
  check(top, settings.log_dir, trust, where.log_dir, "supervisor.log_dir");
  check(top, std::filesystem::path(settings.socket).parent_path().string(), trust, where.socket, "supervisor.socket");
  for (const Profile& profile : manifest.profiles) {
    const FieldReader reader(out, "profile \"" + profile.name + "\": ", "", profile.name);
    // A profile's own folders may be its gateway's user's.
    const auto own = gateway_trust(profile, trust);
    check(reader, profile.state_dir, own, profile.location_of("state_dir"), "state_dir");
    check(reader, profile.workspace, own, profile.location_of("workspace"), "workspace");
  }
}

}  // namespace moltbot::config::loader
