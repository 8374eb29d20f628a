#pragma once
// One client connection: reads request lines (at most max_request_bytes each), hands them to
// the dispatcher and writes the replies in order. Keeps itself alive through shared_from_this
// in its pending handlers. Stream lines wait in a bounded queue: when the client reads too
// slowly they are dropped and the client is told how many, so no reader can stall the
// supervisor. Replies are never dropped: while more than `reply_backlog_bytes` wait for a client,
// its further requests are left unread (in the kernel's buffers, then the client blocks). A
// connection without a request for `idle_timeout` is told so and closed; one that has not read
// what it was sent by then is closed without a word. Every handler of the session runs inside
// the catch boundary (runtime/guarded.h): one that throws fails this session alone (fail()).
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "moltbot/control/command_registry.h"

namespace moltbot::control {

struct SessionLimits {
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t stream_backlog = 1024;  // queued stream lines before new ones are dropped
  std::size_t reply_backlog_bytes = 256 * 1024;  // unsent bytes before requests are left unread
};

class ControlSession final : public ReplySink, public std::enable_shared_from_this<ControlSession> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  // `peer`: who is on the other end, for the commands that depend on it.
  ControlSession(Socket socket, const CommandRegistry& commands, const SessionLimits& limits, const Peer& peer);
  ControlSession(const ControlSession&) = delete;
  ControlSession& operator=(const ControlSession&) = delete;

  void start();
  // Sends one error reply and closes: for peers that may not use the socket.
  void refuse(const std::string& code, const std::string& message);
  void close();

  void send(const nlohmann::json& message) override;
  void send_serialized(std::string line) override;
  void send_stream(const nlohmann::json& message) override;
  void keep_until_closed(std::shared_ptr<void> holder) override;
  void fail(const std::string& failure) override;

 private:
  void do_read();
  // Reads the next request unless too much is still unsent (then do_write resumes reading).
  void read_if_caught_up();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void on_request(std::size_t bytes);
  void do_write();
  void on_written();
  void arm_idle_timer();
  void close_when_flushed();
  void queue(std::string line);

  Socket socket_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::streambuf input_;
  const CommandRegistry& commands_;
  SessionLimits limits_;
  Peer peer_;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool reading_paused_ = false;  // too much unsent: requests wait until the client reads
  std::size_t stream_lines_queued_ = 0;
  std::size_t dropped_ = 0;
  bool writing_ = false;
  bool close_when_flushed_ = false;
  std::vector<std::shared_ptr<void>> holders_;  // streams (and waits) of this client
};

}  // namespace moltbot::control
