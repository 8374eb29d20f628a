#include "moltbot/runtime/status_json.h"

#include "moltbot/common/signal_names.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace moltbot::runtime {

nlohmann::json status_json(const ProfileStatus& status) {
  nlohmann::json last_exit = nullptr;
  if (status.last_exit) {
    const auto& exit = *status.last_exit;
    last_exit = {{"code", exit.status && exit.status->signal == 0 ? nlohmann::json(exit.status->code) : nullptr},
                 {"signal", exit.status && exit.status->signal != 0 ? nlohmann::json(signal_name(exit.status->signal))
                                                                    : nullptr},
                 {"reason", exit.reason}};
  }
  return {
      {"name", status.name},
      {"role", status.role == Role::rescue ? "rescue" : "main"},
      {"state", to_string(status.state)},
      {"reason", status.reason},
      {"pid", status.pid == 0 ? nlohmann::json(nullptr) : nlohmann::json(status.pid)},
      {"restarts", status.restarts},
      {"uptime_s", status.uptime ? nlohmann::json(static_cast<double>(status.uptime->count()) / 1000.0) : nullptr},
      {"ports",
       {{"gateway", status.ports.gateway},
        {"bridge", status.ports.bridge},
        {"browser_control", status.ports.browser_control},
        {"canvas", status.ports.canvas},
        {"cdp_start", status.ports.cdp_start},
        {"cdp_end", status.ports.cdp_end}}},
      {"last_exit", last_exit},
      {"health", status.health},
      {"readiness", status.readiness},
      {"last_lines", status.last_lines},
  };
}

nlohmann::json status_json(const std::vector<ProfileStatus>& fleet) {
  auto all = nlohmann::json::array();
  for (const auto& status : fleet) all.push_back(status_json(status));
  return all;
}

StatusFile::StatusFile(boost::asio::io_context& io, Fleet& fleet, std::string path)
    : io_(io), fleet_(fleet), path_(std::move(path)) {
  fleet_.on_event([this](const ProfileEvent&) {
    if (write_pending_) return;
    write_pending_ = true;
    boost::asio::post(io_, [this] {
      write_pending_ = false;
      write_now();
    });
  });
}

void StatusFile::write_now() {
  auto temp = path_ + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << status_json(fleet_.status()).dump(2) << '\n';
    if (!out) {
      spdlog::warn("cannot write status file {}: {}", temp, std::strerror(errno));
      return;
    }
  }
  if (std::rename(temp.c_str(), path_.c_str()) != 0)
    spdlog::warn("cannot replace status file {}: {}", path_, std::strerror(errno));
}

}  // namespace moltbot::runtime
