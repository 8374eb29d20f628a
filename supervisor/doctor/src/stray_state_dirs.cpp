#include "moltbot/doctor/stray_state_dirs.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "moltbot/common/paths.h"
#include "moltbot/common/profile_defaults.h"

namespace moltbot::doctor {
namespace fs = std::filesystem;
namespace {

// The state dir names of the product's three generations: ".clawdbot" (profile "default") and
// ".clawdbot-NAME", the same under ".openclaw" and ".moltbot".
constexpr std::array<std::string_view, 3> state_dir_stems = {".clawdbot", ".openclaw", ".moltbot"};

// The gateway profile a folder name belongs to, if it is a state dir name at all.
std::optional<std::string> profile_of(std::string_view name) {
  for (std::string_view stem : state_dir_stems) {
    if (!name.starts_with(stem)) continue;
    std::string_view rest = name.substr(stem.size());
    if (rest.empty()) return "default";
    if (rest.front() == '-' && is_valid_profile_name(rest.substr(1))) return std::string(rest.substr(1));
  }
  return std::nullopt;
}

bool used_by(const fs::path& dir, const config::Profile& profile) {
  const fs::path config_folder = fs::path(profile.config_path).parent_path();
  for (const fs::path& used : {fs::path(profile.state_dir), config_folder, fs::path(profile.workspace)})
    if (!used.empty() && (is_same_or_within(used, dir) || is_same_or_within(dir, used))) return true;
  return false;
}

Finding stray(const fs::path& dir, const std::string& profile, const std::string& manifest_name) {
  Finding finding;
  finding.severity = Severity::warning;
  finding.code = "stray-state-dir";
  finding.message = fmt::format("{} is the state dir of a gateway profile \"{}\" that the manifest does not have",
                                dir.string(), profile);
  finding.fix = fmt::format("add profile \"{}\" to {} with state_dir: {}, or archive the folder if that gateway is retired",
                            profile, manifest_name, dir.string());
  finding.details = {{"path", dir.string()}, {"suggested_profile", profile}};
  return finding;
}

}  // namespace

std::vector<fs::path> state_dir_folders(const config::Manifest& manifest, const Environment& env) {
  std::vector<fs::path> folders;
  auto add = [&](const fs::path& folder) {
    const fs::path normal = normalise_path(folder);
    if (std::find(folders.begin(), folders.end(), normal) == folders.end()) folders.push_back(normal);
  };
  if (auto home = home_directory(env)) add(*home);
  for (const config::Profile& profile : manifest.profiles)
    if (!profile.state_dir.empty()) add(fs::path(profile.state_dir).parent_path());
  return folders;
}

CheckItem check_state_dirs(const config::Manifest& manifest, const std::vector<fs::path>& folders,
                           const std::string& manifest_name) {
  CheckItem item;
  item.check = "state-dirs";
  item.title = "gateway state dirs missing from the manifest";
  std::set<fs::path> strays;
  Json searched = Json::array();
  std::error_code ec;
  for (const fs::path& folder : folders) {
    searched.push_back(folder.string());
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if (!profile_of(name) || !entry.is_directory(ec)) continue;
      const fs::path dir = normalise_path(entry.path());
      if (std::none_of(manifest.profiles.begin(), manifest.profiles.end(),
                       [&](const config::Profile& profile) { return used_by(dir, profile); }))
        strays.insert(entry.path());
    }
  }
  for (const fs::path& dir : strays)
    item.findings.push_back(stray(dir, *profile_of(dir.filename().string()), manifest_name));

  std::vector<std::string> folder_names;
  for (const fs::path& folder : folders) folder_names.push_back(folder.string());
  item.summary = strays.empty() ? fmt::format("none in {}", fmt::join(folder_names, ", "))
                                : fmt::format("{} found", strays.size());
  item.details = {{"searched", std::move(searched)}};
  return item;
}

}  // namespace moltbot::doctor
