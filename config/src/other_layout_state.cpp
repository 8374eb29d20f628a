#include "other_layout_state.h"

#include <fmt/format.h>

#include <system_error>

#include "moltbot/common/paths.h"

namespace moltbot::config::loader {

void note_other_layout_state(const Profile& profile, const std::filesystem::path& home, const FieldReader& reader) {
  std::error_code error;
  if (std::filesystem::exists(profile.state_dir, error) || error) return;
  const Layout other = other_layout(profile.layout);
  const std::filesystem::path found = normalise_path(default_state_dir(home, profile.name, other));
  if (!std::filesystem::is_directory(found, error)) return;
  reader.report(Severity::note, "other-layout-state", profile.location_of("layout"),
                fmt::format("found existing state in {}; set layout: {} to keep using it (layout {} starts a new, "
                            "empty state in {})",
                            found.string(), to_string(other), to_string(profile.layout), profile.state_dir));
}

}  // namespace moltbot::config::loader
