#include "moltbot/doctor/gateway_units.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>

#include "moltbot/common/paths.h"

namespace moltbot::doctor {
namespace fs = std::filesystem;
namespace {

constexpr std::array<std::string_view, 3> unit_prefixes = {"openclaw-gateway", "clawdbot-gateway", "moltbot-gateway"};

bool is_gateway_unit_name(std::string_view name) {
  return name.ends_with(".service") &&
         std::any_of(unit_prefixes.begin(), unit_prefixes.end(), [&](std::string_view p) { return name.starts_with(p); });
}

// "moltbot-gateway@.service" -> "moltbot-gateway@"; empty for a unit that is not a template.
std::string template_stem(const std::string& name) {
  auto at = name.find("@.service");
  return at == std::string::npos ? std::string() : name.substr(0, at + 1);
}

// Whether a unit named `name` (for a template: any of its instances) is in `names`.
bool matches_any(const std::string& name, const std::set<std::string>& names) {
  const std::string stem = template_stem(name);
  if (stem.empty()) return names.contains(name);
  return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.starts_with(stem); });
}

bool is_masked(const fs::path& path) {
  std::error_code ec;
  return fs::is_symlink(path, ec) && fs::read_symlink(path, ec) == "/dev/null";
}

// Unit names linked from the *.wants and *.requires folders of `dirs`.
std::set<std::string> enabled_units(const std::vector<fs::path>& dirs) {
  std::set<std::string> names;
  std::error_code ec;
  for (const fs::path& dir : dirs)
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string folder = entry.path().filename().string();
      if (!entry.is_directory(ec) || !(folder.ends_with(".wants") || folder.ends_with(".requires"))) continue;
      for (const auto& link : fs::directory_iterator(entry.path(), ec)) names.insert(link.path().filename().string());
    }
  return names;
}

void add_units(const std::vector<fs::path>& dirs, UnitScope scope, std::vector<GatewayUnit>& found) {
  const std::set<std::string> enabled = enabled_units(dirs);
  std::set<std::string> seen;
  std::error_code ec;
  for (const fs::path& dir : dirs) {
    std::vector<fs::path> entries;
    for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
    std::sort(entries.begin(), entries.end());
    for (const fs::path& path : entries) {
      const std::string name = path.filename().string();
      if (!is_gateway_unit_name(name) || fs::is_directory(path, ec) || is_masked(path)) continue;
      if (!seen.insert(name).second) continue;
      found.push_back({name, path, scope, matches_any(name, enabled)});
    }
  }
}

// The same folder reached twice (/lib and /usr/lib on a merged-/usr system) is read once.
std::vector<fs::path> unique_folders(const std::vector<fs::path>& dirs) {
  std::vector<fs::path> unique;
  std::set<fs::path> seen;
  for (const fs::path& dir : dirs)
    if (seen.insert(normalise_path(dir)).second) unique.push_back(dir);
  return unique;
}

const char* scope_name(UnitScope scope) { return scope == UnitScope::system ? "system" : "user"; }

std::string systemctl(UnitScope scope) { return scope == UnitScope::system ? "systemctl" : "systemctl --user"; }

struct Activity {
  std::string state;                   // "active", "inactive", "failed", ..., "unknown"
  std::vector<std::string> instances;  // of a template: the ones the manager knows
};

Activity activity_of(const GatewayUnit& unit, const std::optional<std::map<std::string, std::string>>& states) {
  if (!states) return {"unknown", {}};
  const std::string stem = template_stem(unit.name);
  if (stem.empty()) {
    auto state = states->find(unit.name);
    return {state == states->end() ? "inactive" : state->second, {}};
  }
  Activity activity{"inactive", {}};
  for (const auto& [name, state] : *states) {
    if (!name.starts_with(stem) || name == unit.name) continue;
    activity.instances.push_back(name);
    if (state == "active" || activity.state == "inactive") activity.state = state;
  }
  return activity;
}

bool is_running(const std::string& state) { return state == "active" || state == "activating" || state == "reloading"; }

Finding unit_finding(const GatewayUnit& unit, const Activity& activity) {
  Finding finding;
  finding.code = "gateway-unit";
  finding.severity = unit.enabled || is_running(activity.state) ? Severity::error : Severity::warning;
  const std::string state = activity.state == "unknown" ? "unknown (systemd not reachable)" : activity.state;
  finding.message = fmt::format("{} unit {} ({}): {}, active: {}", scope_name(unit.scope), unit.name, unit.path.string(),
                                unit.enabled ? "enabled" : "not enabled", state);
  std::string target = unit.name;
  if (!template_stem(unit.name).empty())
    target = activity.instances.empty() ? template_stem(unit.name) + "NAME.service"
                                        : fmt::format("{}", fmt::join(activity.instances, " "));
  finding.fix = fmt::format("{} disable --now {}, then run that gateway as a profile of the manifest",
                            systemctl(unit.scope), target);
  finding.details = {{"unit", unit.name},
                     {"path", unit.path.string()},
                     {"scope", scope_name(unit.scope)},
                     {"enabled", unit.enabled},
                     {"active", activity.state},
                     {"instances", activity.instances}};
  return finding;
}

}  // namespace

UnitDirs default_unit_dirs(const Environment& env) {
  UnitDirs dirs;
  dirs.system = unique_folders({"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
                                "/lib/systemd/system", "/usr/lib/systemd/system"});
  std::vector<fs::path> user;
  if (auto config = lookup(env, "XDG_CONFIG_HOME"); config && !config->empty())
    user.push_back(fs::path(*config) / "systemd/user");
  else if (auto home = home_directory(env))
    user.push_back(*home / ".config/systemd/user");
  for (const char* dir : {"/etc/systemd/user", "/run/systemd/user", "/usr/local/lib/systemd/user",
                          "/usr/lib/systemd/user", "/lib/systemd/user"})
    user.push_back(dir);
  dirs.user = unique_folders(user);
  return dirs;
}

std::vector<GatewayUnit> find_gateway_units(const UnitDirs& dirs) {
  std::vector<GatewayUnit> found;
  add_units(dirs.system, UnitScope::system, found);
  add_units(dirs.user, UnitScope::user, found);
  return found;
}

CheckItem check_gateway_units(const UnitDirs& dirs) {
  CheckItem item;
  item.check = "units";
  item.title = "gateway units of other service managers";
  const std::vector<GatewayUnit> units = find_gateway_units(dirs);
  std::vector<std::string> patterns;
  for (std::string_view prefix : unit_prefixes) patterns.push_back(std::string(prefix) + "*");

  for (UnitScope scope : {UnitScope::system, UnitScope::user}) {
    const bool any = std::any_of(units.begin(), units.end(), [&](const GatewayUnit& u) { return u.scope == scope; });
    if (!any) continue;
    const auto states = query_active_states(scope, patterns);
    for (const GatewayUnit& unit : units)
      if (unit.scope == scope) item.findings.push_back(unit_finding(unit, activity_of(unit, states)));
  }

  const std::size_t folders = dirs.system.size() + dirs.user.size();
  item.summary = units.empty() ? fmt::format("none in {} unit folders", folders) : fmt::format("{} found", units.size());
  Json searched = Json::array();
  for (const auto* scope_dirs : {&dirs.system, &dirs.user})
    for (const fs::path& dir : *scope_dirs) searched.push_back(dir.string());
  item.details = {{"searched", std::move(searched)}};
  return item;
}

}  // namespace moltbot::doctor
