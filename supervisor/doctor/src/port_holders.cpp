#include "moltbot/doctor/port_holders.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/profile_lock.h"
#include "moltbot/runtime/socket_table.h"

namespace moltbot::doctor {
namespace {

using runtime::Listener;
using runtime::SocketInode;

// Far deeper than any real process tree; stops the walk on a /proc that changes under it.
constexpr int max_ancestry = 256;

struct Holder {
  int port = 0;
  std::string use;
  std::optional<pid_t> pid;
  std::string process;  // comm, empty when unknown
  bool own = false;
};

// The live supervisor whose pid the profile's lock file names, if any.
std::optional<pid_t> lock_holder(const std::string& state_dir) {
  std::ifstream in(std::filesystem::path(state_dir) / runtime::ProfileLock::file_name);
  std::string text;
  if (!(in >> text)) return std::nullopt;
  pid_t pid = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), pid).ec != std::errc() || pid <= 0) return std::nullopt;
  auto stat = runtime::read_proc_stat(pid);
  if (!stat || stat->state == 'Z') return std::nullopt;
  return pid;
}

bool descends_from(pid_t pid, pid_t ancestor) {
  for (int depth = 0; depth < max_ancestry && pid > 1; ++depth) {
    auto stat = runtime::read_proc_stat(pid);
    if (!stat) return false;
    if (stat->ppid == ancestor) return true;
    pid = stat->ppid;
  }
  return false;
}

std::set<int> footprint(const config::Profile& profile) {
  std::set<int> ports;
  for (const config::PortUse& use : profile.ports.uses)
    for (int port = use.range.first; port <= use.range.last; ++port) ports.insert(port);
  return ports;
}

const config::PortUse* use_of(const config::Profile& profile, int port) {
  for (const config::PortUse& use : profile.ports.uses)
    if (use.range.contains(port)) return &use;
  return nullptr;
}

// The profile's listeners, one per (port, process): IPv4 and IPv6 sockets of one process count once.
std::vector<Holder> holders_of(const config::Profile& profile, std::optional<pid_t> supervisor,
                               const std::vector<Listener>& listeners, const std::map<SocketInode, pid_t>& owners) {
  std::vector<Holder> holders;
  std::set<std::pair<int, pid_t>> seen;
  for (const Listener& listener : listeners) {
    const config::PortUse* use = use_of(profile, listener.port);
    if (!use) continue;
    Holder holder{listener.port, use->name, std::nullopt, {}, false};
    if (auto owner = owners.find(listener.inode); owner != owners.end()) {
      holder.pid = owner->second;
      if (auto stat = runtime::read_proc_stat(owner->second)) holder.process = stat->comm;
      holder.own = supervisor && descends_from(owner->second, *supervisor);
    }
    if (!seen.insert({holder.port, holder.pid.value_or(0)}).second) continue;
    holders.push_back(std::move(holder));
  }
  std::sort(holders.begin(), holders.end(), [](const Holder& a, const Holder& b) { return a.port < b.port; });
  return holders;
}

std::string describe(const Holder& holder) {
  if (!holder.pid) return "a process doctor cannot see (run it as root to name the owner)";
  return holder.process.empty() ? fmt::format("pid {}", *holder.pid)
                                : fmt::format("pid {} ({})", *holder.pid, holder.process);
}

Finding taken_port(const config::Profile& profile, const Holder& holder, const std::string& manifest_name) {
  Finding finding;
  finding.severity = Severity::error;
  finding.code = "port-taken";
  finding.message = fmt::format("port {} ({}) is held by {}", holder.port, holder.use, describe(holder));
  const std::string move = fmt::format("or move profile \"{}\" to free ports in {}", profile.name, manifest_name);
  finding.fix = holder.pid ? fmt::format("stop {}, {}", describe(holder), move)
                           : fmt::format("as root, `ss -ltnp 'sport = :{}'` names the owner: stop it {}", holder.port, move);
  finding.details = {{"profile", profile.name}, {"port", holder.port}, {"use", holder.use},
                     {"pid", holder.pid ? Json(*holder.pid) : Json(nullptr)},
                     {"process", holder.process.empty() ? Json(nullptr) : Json(holder.process)}};
  return finding;
}

CheckItem profile_item(const config::Profile& profile, std::optional<pid_t> supervisor,
                       const std::vector<Holder>& holders, const std::string& manifest_name) {
  CheckItem item;
  item.check = "ports";
  item.title = fmt::format("ports of profile \"{}\"", profile.name);
  Json holders_json = Json::array();
  std::set<int> taken, own;
  for (const Holder& holder : holders) {
    holders_json.push_back({{"port", holder.port}, {"use", holder.use},
                            {"pid", holder.pid ? Json(*holder.pid) : Json(nullptr)},
                            {"process", holder.process.empty() ? Json(nullptr) : Json(holder.process)},
                            {"own", holder.own}});
    if (holder.own) {
      own.insert(holder.port);
    } else {
      taken.insert(holder.port);
      item.findings.push_back(taken_port(profile, holder, manifest_name));
    }
  }
  const std::size_t total = footprint(profile).size();
  if (!taken.empty())
    item.summary = fmt::format("{} of {} ports taken", taken.size(), total);
  else if (!own.empty())
    item.summary = fmt::format("{} of {} ports held by its own gateway (supervisor pid {})", own.size(), total,
                               supervisor.value_or(0));
  else
    item.summary = fmt::format("{} ports free", total);
  item.details = {{"profile", profile.name}, {"holders", std::move(holders_json)}};
  return item;
}

}  // namespace

std::vector<CheckItem> check_ports(const config::Manifest& manifest, const std::string& manifest_name) {
  int first = max_port;
  int last = 0;
  for (const config::Profile& profile : manifest.profiles)
    for (const config::PortUse& use : profile.ports.uses) {
      first = std::min(first, use.range.first);
      last = std::max(last, use.range.last);
    }
  // One read of the socket tables and one /proc scan for the whole fleet.
  std::vector<Listener> listeners;
  if (first <= last) {
    auto read = runtime::listeners_in_range(first, last);
    if (auto* shortage = std::get_if<runtime::Shortage>(&read))
      throw std::runtime_error("cannot read the socket tables: " + shortage->message);
    listeners = std::move(std::get<std::vector<Listener>>(read));
  }
  std::set<SocketInode> inodes;
  for (const Listener& listener : listeners) inodes.insert(listener.inode);
  const auto owners = runtime::owners_anywhere(inodes);

  std::vector<CheckItem> items;
  for (const config::Profile& profile : manifest.profiles) {
    const std::optional<pid_t> supervisor = lock_holder(profile.state_dir);
    items.push_back(profile_item(profile, supervisor, holders_of(profile, supervisor, listeners, owners), manifest_name));
  }
  return items;
}

}  // namespace moltbot::doctor
