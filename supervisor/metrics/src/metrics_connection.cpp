#include "metrics_connection.h"

#include <boost/asio/write.hpp>

namespace moltbot::metrics {

namespace asio = boost::asio;

MetricsConnection::MetricsConnection(asio::ip::tcp::socket socket, const MetricsHandler& handler)
    : socket_(std::move(socket)), deadline_(socket_.get_executor()), handler_(handler) {}

void MetricsConnection::start() {
  deadline_.expires_after(deadline);
  deadline_.async_wait([weak = weak_from_this()](boost::system::error_code error) {
    if (auto self = weak.lock(); self && !error) self->stop();
  });
  do_read();
}

void MetricsConnection::stop() {
  if (std::exchange(stopped_, true)) return;
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void MetricsConnection::do_read() {
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](boost::system::error_code error, std::size_t length) {
                            if (self->stopped_) return;  // stopped: operation_aborted is expected
                            if (error) return self->stop();
                            self->parser_.append(std::string_view(self->buffer_.data(), length));
                            gateway::Request request;
                            switch (self->parser_.next(request)) {
                              case gateway::RequestParser::Status::incomplete: return self->do_read();
                              case gateway::RequestParser::Status::bad:
                                return self->do_write(MetricsHandler::bad_request());
                              case gateway::RequestParser::Status::complete:
                                return self->do_write(self->handler_.handle(request));
                            }
                          });
}

void MetricsConnection::do_write(HttpReply reply) {
  // The deadline still runs: a client that stops reading a large reply is dropped with it.
  outgoing_ = reply.to_wire();
  asio::async_write(socket_, asio::buffer(outgoing_),
                    [self = shared_from_this()](boost::system::error_code, std::size_t) { self->stop(); });
}

}  // namespace moltbot::metrics
