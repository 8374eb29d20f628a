#include "local_http.h"

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <fmt/format.h>

namespace moltbot::gateway {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" -> status and body.
std::optional<HttpReply> parse_reply(std::string_view raw) {
  const auto head_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || head_end == std::string_view::npos || raw.size() < 12) return std::nullopt;
  HttpReply reply;
  auto [end, ec] = std::from_chars(raw.data() + 9, raw.data() + 12, reply.status);
  if (ec != std::errc()) return std::nullopt;
  reply.body = std::string(raw.substr(head_end + 4));
  return reply;
}

}  // namespace

HttpOutcome get_local(int port, std::string_view path, std::chrono::milliseconds timeout) {
  asio::io_context io(1);
  tcp::socket socket(io);
  asio::steady_timer deadline(io, timeout);
  bool timed_out = false;
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    socket.close(ignored);
  });

  const std::string request =
      fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", path, port);
  asio::streambuf response;
  boost::system::error_code failure;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port));
  socket.async_connect(endpoint, [&](boost::system::error_code ec) {
    if (ec) {
      failure = ec;
      deadline.cancel();
      return;
    }
    asio::async_write(socket, asio::buffer(request), [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        failure = ec;
        deadline.cancel();
        return;
      }
      asio::async_read(socket, response, [&](boost::system::error_code ec, std::size_t) {
        if (ec != asio::error::eof) failure = ec;
        deadline.cancel();
      });
    });
  });
  io.run();

  if (timed_out) return {std::nullopt, fmt::format("timed out after {}ms", timeout.count())};
  if (failure) return {std::nullopt, failure.message()};
  std::string raw(asio::buffers_begin(response.data()), asio::buffers_end(response.data()));
  auto reply = parse_reply(raw);
  if (!reply) return {std::nullopt, "not an HTTP reply: " + raw.substr(0, 80)};
  return {std::move(reply), {}};
}

}  // namespace moltbot::gateway
