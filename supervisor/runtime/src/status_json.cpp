#include "moltbot/runtime/status_json.h"

#include "moltbot/common/json_string.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/runtime/guarded.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

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
    if (exit.status && !signalled)
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
  out += "]}";
}

StatusFile::StatusFile(boost::asio::io_context& io, Fleet& fleet, std::string path)
    : io_(io), fleet_(fleet), path_(std::move(path)) {
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
  auto temp = path_ + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    // One profile at a time: the whole fleet as one JSON tree would be a transient megabyte
    // with 500 profiles, and the heap keeps such peaks.
    out << '[';
    const char* separator = "\n";
    std::string line;
    for (const auto& status : fleet_.status()) {
      line.clear();
      append_status_json(line, status);
      out << separator << line;
      separator = ",\n";
    }
    out << "\n]\n";
    if (!out) {
      spdlog::warn("cannot write status file {}: {}", temp, std::strerror(errno));
      return;
    }
  }
  if (std::rename(temp.c_str(), path_.c_str()) != 0)
    spdlog::warn("cannot replace status file {}: {}", path_, std::strerror(errno));
}

}  // namespace moltbot::runtime
