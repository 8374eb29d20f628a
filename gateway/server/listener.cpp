#include "listener.h"

#include "connection.h"
#include "log.h"

namespace moltbot::gateway {

namespace asio = boost::asio;

Listener::Listener(asio::io_context& io, ListenerRole role, ConnectionManager& connections,
                   const RequestHandler& handler, std::chrono::milliseconds reply_delay)
    : acceptor_(io), role_(role), connections_(connections), handler_(handler), reply_delay_(reply_delay) {}

boost::system::error_code Listener::listen(const asio::ip::tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  // SO_REUSEADDR as Node sets it: a restart is not blocked by TIME_WAIT, a live listener still is.
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

void Listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void Listener::do_accept() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (!self->acceptor_.is_open()) return;  // closed for shutdown or restart
    if (!ec) {
      self->connections_.start(std::make_shared<Connection>(std::move(socket), self->role_, self->connections_,
                                                            self->handler_, self->reply_delay_));
    } else if (ec != asio::error::operation_aborted) {
      log_line("accept on {} port failed: {}", role_name(self->role_), ec.message());
    }
    self->do_accept();
  });
}

}  // namespace moltbot::gateway
