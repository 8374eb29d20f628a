#pragma once
// The /metrics endpoint (manifest key supervisor.metrics): a TCP listener on the daemon's
// io_context that hands each connection to a MetricsConnection. At most max_connections are
// served at once; one past that is closed at once. A failing accept (out of descriptors) is
// retried after accept_retry, said at most once a minute.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::metrics {

class MetricsConnection;
class MetricsHandler;

class MetricsServer {
 public:
  static constexpr std::size_t max_connections = 16;
  static constexpr std::chrono::milliseconds accept_retry{100};

  // Listening on `endpoint`, or why not (the port is taken, ...). `render` writes the exposition.
  static std::variant<std::unique_ptr<MetricsServer>, std::string> open(boost::asio::io_context& io,
                                                                        const config::MetricsEndpoint& endpoint,
                                                                        std::function<std::string()> render);
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  ~MetricsServer();

  // Stops accepting and closes every connection.
  void stop();
  // "127.0.0.1:9464" as bound.
  std::string address() const;

 private:
  MetricsServer(boost::asio::io_context& io, std::function<std::string()> render);
  void do_accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<MetricsHandler> handler_;
  boost::asio::steady_timer retry_timer_;
  std::optional<std::chrono::steady_clock::time_point> last_warning_;
  std::vector<std::weak_ptr<MetricsConnection>> connections_;
};

}  // namespace moltbot::metrics
