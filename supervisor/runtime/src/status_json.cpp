#include "moltbot/runtime/status_json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <string_view>

#include "moltbot/common/json_string.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/common/write_all.h"
#include "moltbot/runtime/guarded.h"

namespace moltbot::runtime {

void append_status_json(std::string& out, const ProfileStatus& status) {
  auto to = std::back_inserter(out);
  out += "{\"name\":";
  append_json_string(out, status.name);
  fmt::format_to(to, ",\"role\":\"{}\",\"state\":\"{}\",\"reason\":", status.role == Role::rescue ? "rescue" : "main",
                 to_string(status.state));
  append_json_string(out, status.reason);
  out += ",\"pid\":";
  if (status.pid == 0)
    out += "null";
  else
    fmt::format_to(to, "{}", status.pid);
  fmt::format_to(to, ",\"restarts\":{},\"planned_restarts\":{},\"restart_mode\":\"{}\",\"restart_mode_detail\":",
                 status.restarts, status.planned_restarts, status.restart_mode);
  append_json_string(out, status.restart_mode_detail);
  out += ",\"uptime_s\":";
  if (status.uptime)
    fmt::format_to(to, "{}.{:03}", status.uptime->count() / 1000, status.uptime->count() % 1000);
  else
    out += "null";
  const auto& ports = status.ports;
  fmt::format_to(to,
                 ",\"ports\":{{\"gateway\":{},\"bridge\":{},\"browser_control\":{},\"canvas\":{},\"cdp_start\":{},"
                 "\"cdp_end\":{}}},\"last_exit\":",
                 ports.gateway, ports.bridge, ports.browser_control, ports.canvas, ports.cdp_start, ports.cdp_end);
  if (status.last_exit) {
    const auto& exit = *status.last_exit;
    const bool signalled = exit.status && exit.status->signal != 0;
    out += "{\"code\":";
    if (exit.status && exit.status->known && !signalled)
      fmt::format_to(to, "{}", exit.status->code);
    else
      out += "null";
    out += ",\"signal\":";
    if (signalled)
      append_json_string(out, signal_name(exit.status->signal));
    else
      out += "null";
    out += ",\"reason\":";
    append_json_string(out, exit.reason);
    out += '}';
  } else {
    out += "null";
  }
  out += ",\"health\":";
  append_json_string(out, status.health);
  out += ",\"readiness\":";
  append_json_string(out, status.readiness);
  out += ",\"last_lines\":[";
  for (std::size_t i = 0; i < status.last_lines.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, status.last_lines[i]);
  }
  out += "],\"resources\":";
  if (status.resources) {
    const auto& usage = status.resources->usage;
    fmt::format_to(to, "{{\"rss_bytes\":{},\"cpu_seconds\":{:.3f},\"processes\":{},\"fds\":{},\"cpu_percent\":",
                   usage.rss_bytes, usage.cpu_seconds, usage.processes, usage.fds);
    if (status.resources->cpu_percent)
      fmt::format_to(to, "{:.1f}", *status.resources->cpu_percent);
    else
      out += "null";
    out += ",\"oom_kills\":";
    if (usage.oom_kills)
      fmt::format_to(to, "{}", *usage.oom_kills);
    else
      out += "null";
    out += '}';
  } else {
    out += "null";
  }
  // Only while a rolling reload concerns the profile.
  if (const auto& mark = status.rollout) {
    out += ",\"rollout\":{\"phase\":";
    append_json_string(out, mark->phase);
    const auto millis = [](const std::optional<std::chrono::milliseconds>& value) {
      return value ? std::to_string(value->count()) : std::string("null");
    };
    fmt::format_to(to, ",\"elapsed_ms\":{},\"deadline_ms\":{}}}", millis(mark->elapsed), millis(mark->deadline));
  }
  out += '}';
}

StatusFile::StatusFile(boost::asio::io_context& io, Fleet& fleet, std::string path, std::optional<gid_t> group)
    : io_(io), fleet_(fleet), path_(std::move(path)), group_(group), retry_timer_(io) {
  fleet_.on_event([this](const ProfileEvent&) {
    if (write_pending_) return;
    write_pending_ = true;
    boost::asio::post(io_, [this] {
      write_pending_ = false;
      guarded(Handler::status_file, [this] { write_now(); });  // written again with the next change
    });
  });
}

void StatusFile::write_now() {
  retry_timer_.cancel();
  auto failure = replace_file();
  if (!failure) {
    if (!failure_.empty()) spdlog::info("status file {} is written again", path_);
    failure_.clear();
    return;
  }
  if (failure_.empty())
    spdlog::warn("{}; the status file keeps its last good content; tried again every {}s", *failure,
                 retry_interval.count());
  failure_ = std::move(*failure);
  retry_timer_.expires_after(retry_interval);
  retry_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) guarded(Handler::status_file, [this] { write_now(); });
  });
}

std::optional<std::string> StatusFile::replace_file() {
  const auto temp = path_ + ".tmp";
  const std::filesystem::path target(path_);
  const auto folder = target.has_parent_path() ? target.parent_path().string() : std::string(".");
  const auto temp_name = target.filename().string() + ".tmp", name = target.filename().string();
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return fmt::format("cannot write status file {}: {}", temp, std::strerror(errno));
  // One left by a killed predecessor, or planted: removed as a name, never written through.
  ::unlinkat(dir, temp_name.c_str(), 0);
  const int fd =
      ::openat(dir, temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0640);
  if (fd < 0) {
    const int error = errno;
    ::close(dir);
    return fmt::format("cannot write status file {}: {}", temp, std::strerror(error));
  }
  const auto failed = [&](std::string_view what) {
    const int error = errno;
    ::close(fd);
    ::unlinkat(dir, temp_name.c_str(), 0);
    ::close(dir);
    return fmt::format("cannot {} status file {}: {}", what, temp, std::strerror(error));
  };
  if ((group_ && ::fchown(fd, static_cast<uid_t>(-1), *group_) != 0) || ::fchmod(fd, 0640) != 0)
    return failed("set the group and mode of");
  // One profile at a time, written in pieces: the whole fleet as one JSON tree would be a
  // transient megabyte with 500 profiles, and the heap keeps such peaks.
  constexpr std::size_t piece = 64 * 1024;
  std::string text = "[";
  const char* separator = "\n";
  for (const auto& status : fleet_.status()) {
    text += separator;
    append_status_json(text, status);
    separator = ",\n";
    if (text.size() >= piece) {
      if (!write_all(fd, text)) return failed("write");
      text.clear();
    }
  }
  text += "\n]\n";
  if (!write_all(fd, text)) return failed("write");
  // Synced before the rename: after a crash the name holds the old file or the whole new one.
  if (::fsync(fd) != 0) return failed("sync");
  const int closed = ::close(fd);
  const int renamed = closed == 0 ? ::renameat(dir, temp_name.c_str(), dir, name.c_str()) : -1;
  const int error = errno;
  if (renamed != 0) ::unlinkat(dir, temp_name.c_str(), 0);
  ::close(dir);
  if (closed != 0) return fmt::format("cannot write status file {}: {}", temp, std::strerror(error));
  if (renamed != 0) return fmt::format("cannot replace status file {}: {}", path_, std::strerror(error));
  return std::nullopt;
}

}  // namespace moltbot::runtime
