#pragma once
// One client connection: reads request lines (at most max_request_bytes each), hands them to
// the dispatcher and writes the replies in order. Keeps itself alive through shared_from_this
// in its pending handlers. Stream lines (events, logs -f, --wait progress) may wait for the
// client up to `stream_backlog_bytes`: a follower that falls further behind is dropped, with a
// `slow-reader` error after what it was already sent, and the lines queued for it are freed at
// once, so no reader can grow or stall the supervisor. Replies are never dropped: while more than
// `reply_backlog_bytes` wait for a client, its further requests are left unread (in the kernel's
// buffers, then the client blocks). A connection without a request for `idle_timeout` is told so
// and closed; one that has not read what it was sent by then is closed without a word. Every
// handler of the session runs inside the catch boundary (runtime/guarded.h): one that throws
// fails this session alone (fail()).
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/control/command_registry.h"

namespace moltbot::control {

struct SessionLimits {
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t stream_backlog_bytes = 256 * 1024;  // unsent stream bytes before the follower is dropped
  std::size_t reply_backlog_bytes = 256 * 1024;   // unsent bytes before requests are left unread
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
  const Peer& peer() const { return peer_; }
  void close();
  // Closes now, to give the descriptor back: the error reply goes out first if the socket takes it
  // at once (nothing else is being written).
  void shed(const std::string& code, const std::string& message);
  // Waiting for a request, with nothing to send, no stream and no wait.
  bool idle() const;
  // Idle, and nothing of a next request read yet: a re-exec can pass the connection on as it is.
  bool between_requests() const { return idle() && input_.size() == 0; }
  bool open() const { return socket_.is_open(); }
  // Called (once) when the connection is closed, whoever closes it: its descriptor is free again.
  void when_closed(std::function<void()> hook) { when_closed_ = std::move(hook); }

  void send(const nlohmann::json& message) override;
  void send_serialized(std::string line) override;
  void send_stream(const nlohmann::json& message) override;
  void keep_until_closed(std::shared_ptr<void> holder) override;
  void fail(const std::string& failure) override;
  int connection() const override { return const_cast<Socket&>(socket_).native_handle(); }

 private:
  void do_read();
  void on_readable(const boost::system::error_code& error);
  // The length of the first complete request line in input_, newline included.
  std::optional<std::size_t> line_length() const;
  // Reads the next request unless too much is still unsent (then do_write resumes reading).
  void read_if_caught_up();
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  void on_request(std::size_t bytes);
  void do_write();
  void on_written();
  void arm_idle_timer();
  void close_when_flushed();
  void queue(std::string line, bool stream);
  // Ends this client's streams and waits, frees the stream lines not yet being written, and says why.
  void drop_slow_follower();

  struct Outgoing {
    std::string line;
    bool stream = false;  // a stream line, not a reply
  };

  Socket socket_;
  boost::asio::steady_timer idle_timer_;
  boost::asio::streambuf input_;
  const CommandRegistry& commands_;
  SessionLimits limits_;
  Peer peer_;
  std::deque<Outgoing> outbox_;  // the front is being written while writing_
  std::size_t outbox_bytes_ = 0;
  std::size_t stream_bytes_ = 0;  // of the stream lines in outbox_
  bool reading_paused_ = false;  // too much unsent: requests wait until the client reads
  bool writing_ = false;
  bool close_when_flushed_ = false;
  std::function<void()> when_closed_;
  std::vector<std::shared_ptr<void>> holders_;  // streams (and waits) of this client
};

}  // namespace moltbot::control
