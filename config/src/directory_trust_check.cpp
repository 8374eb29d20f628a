#include "directory_trust_check.h"

#include <filesystem>

#include "moltbot/common/directory_trust.h"

namespace moltbot::config::loader {

void check_directory_trust(const Manifest& manifest, const SupervisorDirLocations& where, Diagnostics& out) {
  const auto trust = DirectoryTrust::of_supervisor(manifest.supervisor.socket_group);
  const FieldReader top(out, "", "", "");
  const auto check = [&](const FieldReader& reader, const std::string& dir, const SourceLocation& at,
                         std::string_view field) {
    if (dir.empty()) return;
    if (auto problem = untrusted_directory(dir, trust))
      reader.field_error("untrusted-dir", at, field, *problem + "; the supervisor refuses to use it");
  };
  const auto& settings = manifest.supervisor;
  check(top, settings.log_dir, where.log_dir, "supervisor.log_dir");
  check(top, std::filesystem::path(settings.socket).parent_path().string(), where.socket, "supervisor.socket");
  for (const Profile& profile : manifest.profiles) {
    const FieldReader reader(out, "profile \"" + profile.name + "\": ", "", profile.name);
    check(reader, profile.state_dir, profile.location_of("state_dir"), "state_dir");
    check(reader, profile.workspace, profile.location_of("workspace"), "workspace");
  }
}

}  // namespace moltbot::config::loader
