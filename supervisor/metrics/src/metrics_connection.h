#pragma once
// One accepted scrape: reads one request head (at most 8 KiB), writes the reply and closes, all
// within `deadline`. Socket I/O only; keeps itself alive through shared_from_this in its pending
// handlers.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "metrics_handler.h"
#include "request_parser.h"

namespace moltbot::metrics {

class MetricsConnection : public std::enable_shared_from_this<MetricsConnection> {
 public:
  // A client that has not sent its request and read the reply in this time is dropped.
  static constexpr std::chrono::seconds deadline{10};

  MetricsConnection(boost::asio::ip::tcp::socket socket, const MetricsHandler& handler);
  MetricsConnection(const MetricsConnection&) = delete;
  MetricsConnection& operator=(const MetricsConnection&) = delete;

  void start();
  void stop();

 private:
  void do_read();
  void do_write(HttpReply reply);

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer deadline_;
  const MetricsHandler& handler_;
  std::array<char, 4096> buffer_{};
  gateway::RequestParser parser_;
  std::string outgoing_;
  bool stopped_ = false;
};

}  // namespace moltbot::metrics
