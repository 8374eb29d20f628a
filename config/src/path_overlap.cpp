// path-overlap: no two profiles share a state dir, workspace or config folder (the gateway keeps
// stores such as cron next to its config file), and none of these lies inside another profile's.
// Nesting within one profile is the normal layout. Paths arrive absolute and normalised.
//
// Ordered as if each ended in '/', every path that lies inside P (or equals it) comes in one block
// right after P, so a stack of the enclosing paths seen so far finds all nestings in one pass.
#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

enum Purpose : unsigned { state_dir = 1, workspace = 2, config_folder = 4 };

// One folder of one profile; a folder that serves several purposes (the default config folder
// is the state dir) is one entry, so the same clash is not reported once per purpose.
struct Folder {
  std::string_view path;  // without trailing '/': the root folder is ""; views into the manifest
  std::size_t profile;
  std::size_t order;      // position in manifest order, for reporting
  unsigned purposes;      // Purpose bits
  const SourceLocation* where;
};

std::string_view without_trailing_slash(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path;
}

// Orders paths as the strings path + "/" would be ordered, without building them.
int compare_slashed(std::string_view a, std::string_view b) {
  const std::size_t common = std::min(a.size(), b.size());
  if (const int c = a.substr(0, common).compare(b.substr(0, common)); c != 0) return c;
  if (a.size() == b.size()) return 0;
  const char next_a = a.size() > common ? a[common] : '/';
  const char next_b = b.size() > common ? b[common] : '/';
  if (next_a != next_b) return static_cast<unsigned char>(next_a) < static_cast<unsigned char>(next_b) ? -1 : 1;
  return a.size() < b.size() ? -1 : 1;  // "/a/" before "/a/b/"
}

// `inner` equals `outer` or lies inside it.
bool within(std::string_view inner, std::string_view outer) {
  return inner.starts_with(outer) && (inner.size() == outer.size() || inner[outer.size()] == '/');
}

std::string shown(const Folder& folder) { return folder.path.empty() ? "/" : std::string(folder.path); }

std::string_view parent_of(std::string_view path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string_view::npos) return {};
  return slash == 0 ? path.substr(0, 1) : path.substr(0, slash);
}

// "state dir and config folder"
std::string purposes_text(unsigned purposes) {
  std::string text;
  for (auto [bit, name] : {std::pair{state_dir, "state dir"}, {workspace, "workspace"}, {config_folder, "config folder"}}) {
    if (!(purposes & bit)) continue;
    if (!text.empty()) text += " and ";
    text += name;
  }
  return text;
}

std::vector<Folder> folders_of(const Manifest& manifest) {
  std::vector<Folder> folders;
  folders.reserve(manifest.profiles.size() * 3);
  for (std::size_t p = 0; p < manifest.profiles.size(); ++p) {
    const Profile& profile = manifest.profiles[p];
    const std::tuple<std::string_view, Purpose, const char*> candidates[] = {
        {profile.state_dir, state_dir, "state_dir"},
        {profile.workspace, workspace, "workspace"},
        {parent_of(profile.config_path), config_folder, "config_path"},
    };
    const std::size_t first = folders.size();
    for (const auto& [path, purpose, field] : candidates) {
      if (path.empty()) continue;
      const std::string_view trimmed = without_trailing_slash(path);
      auto same = std::find_if(folders.begin() + static_cast<std::ptrdiff_t>(first), folders.end(),
                               [&](const Folder& f) { return f.path == trimmed; });
      if (same != folders.end())
        same->purposes |= purpose;
      else
        folders.push_back(Folder{trimmed, p, folders.size(), purpose, &profile.location_of(field)});
    }
  }
  return folders;
}

struct Clash {
  const Folder* later;
  const Folder* earlier;
};

// Sorts `folders` by path and returns every pair of different profiles where one folder equals
// or contains the other.
std::vector<Clash> clashes_of(std::vector<Folder>& folders) {
  std::sort(folders.begin(), folders.end(), [](const Folder& a, const Folder& b) {
    const int by_path = compare_slashed(a.path, b.path);
    return by_path != 0 ? by_path < 0 : a.order < b.order;
  });
  std::vector<Clash> clashes;
  std::vector<const Folder*> enclosing;
  for (const Folder& current : folders) {
    while (!enclosing.empty() && !within(current.path, enclosing.back()->path)) enclosing.pop_back();
    for (const Folder* outer : enclosing) {
      if (outer->profile == current.profile) continue;
      const bool current_later = current.profile > outer->profile;
      clashes.push_back(current_later ? Clash{&current, outer} : Clash{outer, &current});
    }
    enclosing.push_back(&current);
  }
  return clashes;
}

Diagnostic report(const Manifest& manifest, const Folder& later, const Folder& earlier) {
  const Profile& profile = manifest.profiles[later.profile];
  const Profile& other = manifest.profiles[earlier.profile];
  std::string message;
  if (later.path == earlier.path) {
    message = fmt::format("{} {} is also the {} of profile \"{}\"", purposes_text(later.purposes), shown(later),
                          purposes_text(earlier.purposes), other.name);
    if ((later.purposes & config_folder) && (earlier.purposes & config_folder))
      message += "; gateways keep stores such as cron next to their config file";
  } else {
    const bool later_is_inner = within(later.path, earlier.path);
    message = fmt::format("{} {} {} the {} {} of profile \"{}\"", purposes_text(later.purposes), shown(later),
                          later_is_inner ? "lies inside" : "contains", purposes_text(earlier.purposes),
                          shown(earlier), other.name);
  }
  return wording::conflict("path-overlap", profile, *later.where, std::move(message), other, *earlier.where);
}

}  // namespace

void check_path_overlap(const Manifest& manifest, Diagnostics& out) {
  std::vector<Folder> folders = folders_of(manifest);
  std::vector<Clash> clashes = clashes_of(folders);
  // Report in manifest order of the later profile's folders.
  std::sort(clashes.begin(), clashes.end(), [](const Clash& a, const Clash& b) {
    return std::tie(a.later->order, a.earlier->order) < std::tie(b.later->order, b.earlier->order);
  });
  for (const Clash& clash : clashes) out.push_back(report(manifest, *clash.later, *clash.earlier));
}

}  // namespace moltbot::config::rules
