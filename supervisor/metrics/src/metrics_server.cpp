#include "moltbot/metrics/metrics_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "metrics_connection.h"
#include "metrics_handler.h"

namespace moltbot::metrics {

namespace asio = boost::asio;
using asio::ip::tcp;

std::variant<std::unique_ptr<MetricsServer>, std::string> MetricsServer::open(asio::io_context& io,
                                                                              const config::MetricsEndpoint& endpoint,
                                                                              std::function<std::string()> render) {
  std::unique_ptr<MetricsServer> server(new MetricsServer(io, std::move(render)));
  boost::system::error_code error;
  const auto address = asio::ip::make_address(endpoint.address, error);
  const tcp::endpoint where(address, static_cast<unsigned short>(endpoint.port));
  auto& acceptor = server->acceptor_;
  if (!error) acceptor.open(where.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(where, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return fmt::format("cannot listen on {}:{}: {}", endpoint.address, endpoint.port, error.message());
  server->do_accept();
  return server;
}

MetricsServer::MetricsServer(asio::io_context& io, std::function<std::string()> render)
    : acceptor_(io), handler_(std::make_unique<MetricsHandler>(std::move(render))), retry_timer_(io) {}

MetricsServer::~MetricsServer() { stop(); }

std::string MetricsServer::address() const {
  boost::system::error_code error;
  const auto local = acceptor_.local_endpoint(error);
  if (error) return "(closed)";
  return local.address().is_v6() ? fmt::format("[{}]:{}", local.address().to_string(), local.port())
                                 : fmt::format("{}:{}", local.address().to_string(), local.port());
}

void MetricsServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  for (auto& weak : connections_)
    if (auto connection = weak.lock()) connection->stop();
  connections_.clear();
}

void MetricsServer::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopped
    if (error) {
      const auto now = std::chrono::steady_clock::now();
      if (!last_warning_ || now - *last_warning_ >= std::chrono::minutes(1)) {
        spdlog::warn("metrics: cannot accept a connection: {}; trying again every {} ms", error.message(),
                     accept_retry.count());
        last_warning_ = now;
      }
      retry_timer_.expires_after(accept_retry);
      retry_timer_.async_wait([this](boost::system::error_code waited) {
        if (!waited) do_accept();
      });
      return;
    }
    std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
    if (connections_.size() < max_connections) {
      auto connection = std::make_shared<MetricsConnection>(std::move(socket), *handler_);
      connections_.push_back(connection);
      connection->start();
    }  // else: the socket closes as it goes out of scope
    do_accept();
  });
}

}  // namespace moltbot::metrics
