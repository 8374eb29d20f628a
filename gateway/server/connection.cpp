#include "connection.h"

#include <boost/asio/write.hpp>

#include "connection_manager.h"
#include "log.h"

namespace moltbot::gateway {

namespace asio = boost::asio;

Connection::Connection(asio::ip::tcp::socket socket, ListenerRole role, ConnectionManager& manager,
                       const RequestHandler& handler, std::chrono::milliseconds reply_delay)
    : socket_(std::move(socket)),
      reply_timer_(socket_.get_executor()),
      role_(role),
      manager_(manager),
      handler_(handler),
      reply_delay_(reply_delay) {}

void Connection::start() { do_read(); }

void Connection::stop() {
  if (closed_) return;
  closed_ = true;
  reply_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Connection::stop_when_idle() {
  if (busy_) {
    close_after_reply_ = true;
  } else {
    close();
  }
}

void Connection::close() {
  stop();
  manager_.remove(shared_from_this());
}

void Connection::do_read() {
  socket_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](boost::system::error_code ec,
                                                                             std::size_t length) {
    if (self->closed_) return;  // stopped by shutdown; operation_aborted is expected
    if (ec) {
      self->close();
      return;
    }
    self->parser_.append(std::string_view(self->buffer_.data(), length));
    self->process_buffered();
  });
}

// Answers the next buffered request (pipelined ones may already be there) or reads more.
void Connection::process_buffered() {
  Request request;
  switch (parser_.next(request)) {
    case RequestParser::Status::incomplete:
      do_read();
      return;
    case RequestParser::Status::bad:
      answer(Reply{400, R"({"ok":false,"error":"bad request"})", false});
      return;
    case RequestParser::Status::complete: {
      auto reply = handler_.handle(request, role_);
      // A wedged gateway reads the request and never answers; the client has to time out.
      if (!reply) return;
      reply->keep_alive = request.keep_alive;
      if (reply_delay_.count() > 0) {
        log_line("delaying reply to {} {} by {}ms (test fault slow_reply)", request.method, request.target,
                 reply_delay_.count());
      }
      answer(std::move(*reply));
      return;
    }
  }
}

void Connection::answer(Reply reply) {
  busy_ = true;
  if (!reply.keep_alive) close_after_reply_ = true;
  outgoing_ = reply.to_wire();
  if (reply_delay_.count() == 0) {
    do_write();
    return;
  }
  reply_timer_.expires_after(reply_delay_);
  reply_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec && !self->closed_) self->do_write();
  });
}

void Connection::do_write() {
  asio::async_write(socket_, asio::buffer(outgoing_), [self = shared_from_this()](boost::system::error_code ec,
                                                                                  std::size_t) {
    if (self->closed_) return;
    self->busy_ = false;
    if (ec || self->close_after_reply_) {
      self->close();
      return;
    }
    self->process_buffered();
  });
}

}  // namespace moltbot::gateway
