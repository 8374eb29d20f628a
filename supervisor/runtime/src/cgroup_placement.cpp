#include "moltbot/runtime/cgroup_placement.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

// Mount points and roots in /proc/PID/mountinfo escape space, tab, newline and backslash as \ooo.
std::string unescape_mount_field(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const auto digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string_view::npos) {
        out.push_back(static_cast<char>(std::stoi(std::string(digits), nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

bool is_within(std::string_view path, std::string_view root) {
  if (root == "/") return path.starts_with('/');
  return path == root || (path.starts_with(root) && path.size() > root.size() && path[root.size()] == '/');
}

// mkdir that accepts an existing directory; an error message otherwise.
std::optional<std::string> make_cgroup(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return std::nullopt;
  return fmt::format("cannot create cgroup {}: {}", dir.string(), std::strerror(errno));
}

std::optional<std::string> move_self_into(const fs::path& dir) {
  const auto procs = dir / "cgroup.procs";
  FILE* file = std::fopen(procs.c_str(), "we");
  if (!file) return fmt::format("cannot open {}: {}", procs.string(), std::strerror(errno));
  const bool written = std::fprintf(file, "%d\n", ::getpid()) > 0;
  const bool closed = std::fclose(file) == 0;  // the kernel's answer comes with the flush
  if (!written || !closed)
    return fmt::format("cannot move the supervisor into {}: {}", dir.string(), std::strerror(errno));
  return std::nullopt;
}

// Enables each of limit_controllers the cgroup at `dir` offers for its children; returns those on.
std::vector<std::string> enable_limit_controllers(const fs::path& dir) {
  std::vector<std::string> enabled;
  std::istringstream available(read_pseudo_file(dir / "cgroup.controllers").value_or(""));
  for (std::string name; available >> name;)
    for (const char* wanted : limit_controllers)
      if (name == wanted) {
        FILE* file = std::fopen((dir / "cgroup.subtree_control").c_str(), "we");
        if (!file) continue;
        const bool written = std::fprintf(file, "+%s", wanted) > 0;
        if (std::fclose(file) == 0 && written) enabled.push_back(name);
      }
  return enabled;
}

}  // namespace

std::optional<std::string> own_cgroup() {
  auto text = read_pseudo_file("/proc/self/cgroup");
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("0::")) return line.substr(3);
  return std::nullopt;
}

fs::path own_cgroup_dir(const CgroupMount& mount, const std::string& own) {
  fs::path dir = mount.point;
  if (own != mount.root) dir /= fs::path(own.substr(mount.root == "/" ? 1 : mount.root.size() + 1));
  return dir;
}

bool is_delegated(const fs::path& dir) {
  for (const char* name : {"trusted.delegate", "user.delegate"}) {
    char value[8] = {};
    const ssize_t size = ::getxattr(dir.c_str(), name, value, sizeof value - 1);
    if (size == 1 && value[0] == '1') return true;
  }
  return false;
}

std::string CgroupMount::cgroup_of(const fs::path& dir) const {
  const auto relative = dir.lexically_normal().lexically_relative(point).generic_string();
  if (relative.empty() || relative == ".") return root;
  return (root == "/" ? std::string() : root) + "/" + relative;
}

bool CgroupMount::contains(const fs::path& dir) const {
  const auto relative = dir.lexically_normal().lexically_relative(point).generic_string();
  return !relative.empty() && relative != "." && !relative.starts_with("..");
}

std::optional<CgroupMount> find_cgroup2_mount() {
  auto own = own_cgroup();
  auto text = read_pseudo_file("/proc/self/mountinfo");
  if (!own || !text) return std::nullopt;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    // id parent major:minor root point options [optional fields...] - type source super-options
    const auto separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream right(line.substr(separator + 3));
    std::string type;
    right >> type;
    if (type != "cgroup2") continue;
    std::istringstream left(line.substr(0, separator));
    std::string id, parent, device, root, point;
    left >> id >> parent >> device >> root >> point;
    CgroupMount mount{unescape_mount_field(point), unescape_mount_field(root)};
    if (is_within(*own, mount.root)) return mount;
  }
  return std::nullopt;
}

std::variant<CgroupParent, std::string> place_profile_cgroups(const Environment& supervisor_env,
                                                              std::string_view instance) {
  const auto setting = lookup(supervisor_env, cgroup_setting_variable).value_or("auto");
  if (setting == "off") return fmt::format("{}=off", cgroup_setting_variable);
  if (setting != "auto")
    return fmt::format("{}={}: expected auto or off", cgroup_setting_variable, setting);
  auto own = own_cgroup();
  if (!own) return std::string("the supervisor is in no cgroup v2 hierarchy");
  auto mount = find_cgroup2_mount();
  if (!mount) return fmt::format("no cgroup v2 hierarchy holding {} is mounted", *own);
  const fs::path own_dir = own_cgroup_dir(*mount, *own);

  if (*own == mount->root) {
    const auto parent = own_dir / "moltbot-supervisord" / std::string(instance);
    for (const auto& dir : {parent.parent_path(), parent})
      if (auto error = make_cgroup(dir)) return *error;
    // Each level passes the controllers down; what the root offers is the host's to say.
    for (const auto& dir : {own_dir, parent.parent_path()}) enable_limit_controllers(dir);
    return CgroupParent{*mount, parent, true,
                        fmt::format("{} (made for this supervisor at the root of the cgroup v2 hierarchy)",
                                    parent.string()),
                        enable_limit_controllers(parent)};
  }
  if (!is_delegated(own_dir))
    return fmt::format("its cgroup {} is not delegated to it (systemd: Delegate=yes)", *own);
  const auto leaf = own_dir / "supervisor";
  if (auto error = make_cgroup(leaf)) return *error;
  if (auto error = move_self_into(leaf)) return *error;
  return CgroupParent{*mount, own_dir, false,
                      fmt::format("{} (delegated to the supervisor, which moved itself into supervisor/)",
                                  own_dir.string()),
                      enable_limit_controllers(own_dir)};
}

}  // namespace moltbot::runtime
