#pragma once
// Owns the open connections so shutdown can reach them; a connection removes itself when done.
#include <functional>
#include <memory>
#include <set>

namespace moltbot::gateway {

class Connection;

class ConnectionManager {
 public:
  ConnectionManager() = default;
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  void start(const std::shared_ptr<Connection>& connection);
  void remove(const std::shared_ptr<Connection>& connection);

  // Graceful: idle connections close now, busy ones after their reply; `on_empty` runs once the
  // last one is gone (at once when there are none).
  void drain(std::function<void()> on_empty);
  void stop_all();

 private:
  std::set<std::shared_ptr<Connection>> connections_;
  std::function<void()> on_empty_;
};

}  // namespace moltbot::gateway
