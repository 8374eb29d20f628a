#pragma once
// One listening port with its role; accepted sockets become connections.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "connection_manager.h"
#include "request_handler.h"

namespace moltbot::gateway {

// Shared ownership: a closed listener lives on until its aborted accept has completed, so the
// gateway may drop it at once (an in-process restart replaces every listener).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  explicit Listener(boost::asio::io_context& io, ListenerRole role, ConnectionManager& connections,
                    const RequestHandler& handler, std::chrono::milliseconds reply_delay);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens; the error (address_in_use when the port is taken) is returned, not thrown.
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& endpoint);
  void start_accepting() { do_accept(); }
  void close();

 private:
  void do_accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  ListenerRole role_;
  ConnectionManager& connections_;
  const RequestHandler& handler_;
  std::chrono::milliseconds reply_delay_;
};

}  // namespace moltbot::gateway
