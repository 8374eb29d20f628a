#include "moltbot/config/gateway_config_seed.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <variant>
#include <vector>

#include "moltbot/config/run_as.h"

namespace moltbot::config {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // gateway.port first, as a person would write it

struct Setting {
  std::vector<std::string> key;  // {"browser", "profiles", "work", "cdpPort"}
  json value;
};

std::vector<Setting> seed_settings(const Profile& profile) {
  std::vector<Setting> settings{{{"gateway", "port"}, profile.ports.gateway}};
  const PinnedPorts& pinned = profile.pinned_ports;
  if (pinned.browser_control) settings.push_back({{"browser", "controlPort"}, *pinned.browser_control});
  if (pinned.canvas) settings.push_back({{"canvasHost", "port"}, *pinned.canvas});
  // The gateway knows a start only and takes its 100 ports from there: a narrower range the
  // manifest reserves cannot be written, and written as a start it would read back as a wider
  // one, contradicting the manifest at the next check (after a restart or a re-exec).
  if (pinned.cdp_range && *pinned.cdp_range == cdp_range_from(pinned.cdp_range->first))
    settings.push_back({{"browser", "cdpPortRangeStart"}, pinned.cdp_range->first});
  for (const BrowserProfile& browser : profile.browser_profiles) {
    if (browser.cdp_port) settings.push_back({{"browser", "profiles", browser.name, "cdpPort"}, *browser.cdp_port});
    if (browser.cdp_url) settings.push_back({{"browser", "profiles", browser.name, "cdpUrl"}, *browser.cdp_url});
  }
  return settings;
}

std::string summary(const std::vector<Setting>& settings) {
  std::string text;
  for (const Setting& setting : settings) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {}", fmt::join(setting.key, "."), setting.value.dump());
  }
  return text;
}

// A failed system call, described while errno still tells why.
struct Failure {
  std::string message;
  int error = 0;
};

Failure failure(std::string_view what, const fs::path& path) {
  return {fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)), errno};
}

// Writes `content` to a new file beside `path` (mode 0600, fsynced: the file linked into place is
// never empty or torn after a crash) and returns its name.
// `owner`: the account the file is handed to (the gateway's), or nullptr for the caller's own.
std::variant<fs::path, Failure> write_temporary(const fs::path& path, const std::string& content, const Account* owner) {
  std::string name = (path.parent_path() / ("." + path.filename().string() + ".seed-XXXXXX")).string();
  // O_EXCL under the hood: never opens an existing file or a symlink.
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return failure("cannot create a file in", path.parent_path());
  std::FILE* file = ::fdopen(fd, "w");
  if (!file) {
    Failure error = failure("cannot write", name);
    ::close(fd);
    ::unlink(name.c_str());
    return error;
  }
  bool ok = ::fchmod(fd, 0600) == 0 && (!owner || ::fchown(fd, owner->uid, owner->gid) == 0) && std::fwrite(content.data(), 1, content.size(), file) == content.size() &&
            std::fflush(file) == 0 && ::fsync(fd) == 0;
  Failure error = ok ? Failure{} : failure("cannot write", name);
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    error = failure("cannot write", name);
  }
  if (!ok) {
    ::unlink(name.c_str());
    return error;
  }
  return fs::path(name);
}

}  // namespace

std::string gateway_config_seed_text(const Profile& profile) {
  json root = json::object();
  for (const Setting& setting : seed_settings(profile)) {
    json* node = &root;
    for (const std::string& part : setting.key) node = &(*node)[part];
    *node = setting.value;
  }
  return root.dump(2) + "\n";
}

ConfigSeed seed_gateway_config(const Profile& profile) {
  ConfigSeed seed;
  const fs::path path = profile.config_path;
  struct stat info {};
  const auto failed = [&seed](Failure failure) {
    seed.error = std::move(failure.message);
    seed.error_number = failure.error;
    return seed;
  };
  if (::stat(path.c_str(), &info) == 0) return seed;
  if (errno != ENOENT) return failed(failure("cannot look for", path));
  if (auto error = make_gateway_directory(profile, path.parent_path())) {
    seed.error = fmt::format("cannot create {}: {}", path.string(), *error);
    return seed;
  }
  auto temporary = write_temporary(path, gateway_config_seed_text(profile), switched_account(profile));
  if (auto* error = std::get_if<Failure>(&temporary)) return failed(std::move(*error));
  const fs::path& written = std::get<fs::path>(temporary);
  // link() fails with EEXIST when anything is at the path by now, a symlink included, where
  // rename() would replace it. No fsync of the folder: a link lost in a power cut is made again at
  // the next start.
  const bool linked = ::link(written.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(written.c_str());
  if (linked) {
    seed.created = true;
    seed.settings = summary(seed_settings(profile));
    return seed;
  }
  errno = link_errno;
  if (errno != EEXIST) return failed(failure("cannot create", path));
  if (::lstat(path.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
    seed.error = fmt::format("{} is a symlink to a missing file; not following it (remove it, or make it point "
                             "at the gateway config file)",
                             path.string());
  }
  // Otherwise a file appeared since the stat(): whoever wrote it wins.
  return seed;
}

}  // namespace moltbot::config
