#include "connection_manager.h"

#include <utility>

#include "connection.h"

namespace moltbot::gateway {

void ConnectionManager::start(const std::shared_ptr<Connection>& connection) {
  connections_.insert(connection);
  connection->start();
}

void ConnectionManager::remove(const std::shared_ptr<Connection>& connection) {
  if (connections_.erase(connection) == 0) return;
  if (connections_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

void ConnectionManager::drain(std::function<void()> on_empty) {
  on_empty_ = std::move(on_empty);
  // Copy: stop_when_idle may remove connections from the set.
  auto snapshot = connections_;
  for (const auto& connection : snapshot) connection->stop_when_idle();
  if (connections_.empty() && on_empty_) std::exchange(on_empty_, nullptr)();
}

void ConnectionManager::stop_all() {
  for (const auto& connection : connections_) connection->stop();
  connections_.clear();
  if (on_empty_) std::exchange(on_empty_, nullptr)();
}

}  // namespace moltbot::gateway
