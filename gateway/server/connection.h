#pragma once
// One accepted socket: reads request heads, asks the handler, writes replies. Socket I/O only;
// keeps itself alive through shared_from_this in its pending handlers.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "request_handler.h"
#include "request_parser.h"

namespace moltbot::gateway {

class ConnectionManager;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  explicit Connection(boost::asio::ip::tcp::socket socket, ListenerRole role, ConnectionManager& manager,
                      const RequestHandler& handler, std::chrono::milliseconds reply_delay);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void stop();            // close now
  void stop_when_idle();  // close now if waiting for a request, else after the reply in progress

 private:
  void do_read();
  void process_buffered();
  void answer(Reply reply);
  void do_write();
  void close();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer reply_timer_;
  ListenerRole role_;
  ConnectionManager& manager_;
  const RequestHandler& handler_;
  std::chrono::milliseconds reply_delay_;  // the slow_reply test fault
  std::array<char, 4096> buffer_{};
  RequestParser parser_;
  std::string outgoing_;
  bool busy_ = false;         // a reply is being delayed or written
  bool close_after_reply_ = false;
  bool closed_ = false;
};

}  // namespace moltbot::gateway
