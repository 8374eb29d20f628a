#include "moltbot/control/control_session.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <istream>
#include <utility>

#include "moltbot/common/json_string.h"

namespace moltbot::control {

namespace asio = boost::asio;

ControlSession::ControlSession(Socket socket, const CommandRegistry& commands, const SessionLimits& limits,
                               const Peer& peer)
    : socket_(std::move(socket)),
      idle_timer_(socket_.get_executor()),
      input_(max_request_bytes + 1),  // one byte more for the newline
      commands_(commands),
      limits_(limits),
      peer_(peer) {}

void ControlSession::start() {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  arm_idle_timer();
  do_read();
}

void ControlSession::refuse(const std::string& code, const std::string& message) {
  send(error_reply(code, message));
  close_when_flushed();
}

void ControlSession::close() {
  idle_timer_.cancel();
  const bool was_open = socket_.is_open();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  outbox_.clear();
  outbox_bytes_ = 0;
  stream_bytes_ = 0;
  holders_.clear();
  if (was_open && when_closed_) std::exchange(when_closed_, {})();
}

void ControlSession::shed(const std::string& code, const std::string& message) {
  if (!socket_.is_open()) return;
  if (!writing_) {
    const auto line = json_text(error_reply(code, message)) + '\n';
    // Best effort: a socket whose buffer is full does not get it.
    [[maybe_unused]] auto sent = ::send(socket_.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  close();
}

bool ControlSession::idle() const {
  return socket_.is_open() && holders_.empty() && outbox_.empty() && !writing_ && !close_when_flushed_;
}

// Waiting for readability and then reading what is there, in the same handler that dispatches
// it: no request sits in a read that is done but not yet handled, so a re-exec that passes this
// connection on (between_requests) loses no byte of one.
void ControlSession::do_read() {
  if (auto line = line_length()) {  // a request the client sent together with the last one
    asio::post(socket_.get_executor(), [self = shared_from_this(), line] { self->on_read({}, *line); });
    return;
  }
  socket_.async_wait(Socket::wait_read, [self = shared_from_this()](const boost::system::error_code& error) {
    self->on_readable(error);
  });
}

std::optional<std::size_t> ControlSession::line_length() const {
  const auto begin = asio::buffers_begin(input_.data());
  const auto end = asio::buffers_end(input_.data());
  const auto newline = std::find(begin, end, '\n');
  if (newline == end) return std::nullopt;
  return static_cast<std::size_t>(newline - begin) + 1;
}

void ControlSession::on_readable(const boost::system::error_code& error) {
  if (error) return on_read(error, 0);
  if (!socket_.is_open()) return;
  boost::system::error_code read_error;
  const std::size_t room = input_.max_size() - input_.size();
  if (room == 0) return on_read(asio::error::not_found, 0);
  input_.commit(socket_.read_some(input_.prepare(std::min<std::size_t>(room, 16384)), read_error));
  if (read_error == asio::error::would_block || read_error == asio::error::try_again || read_error == asio::error::interrupted)
    return do_read();
  if (read_error) return on_read(read_error, 0);
  if (auto line = line_length()) return on_read({}, *line);
  if (input_.size() >= input_.max_size()) return on_read(asio::error::not_found, 0);
  do_read();
}

void ControlSession::on_read(const boost::system::error_code& error, std::size_t bytes) {
  if (error == asio::error::operation_aborted || !socket_.is_open()) return;
  if (error == asio::error::not_found) {
    refuse("request-too-large", fmt::format("a request line may have at most {} bytes", max_request_bytes));
    return;
  }
  if (error) {
    // End of input. A partial line means the client gave up mid-request: it still gets a word.
    if (input_.size() > 0 && error == asio::error::eof)
      send(error_reply("incomplete-request", "the connection ended in the middle of a request line"));
    if (holders_.empty())
      close_when_flushed();
    else
      close();  // a stream's reader went away
    return;
  }
  run_guarded(runtime::Handler::session, [&] { on_request(bytes); });
}

void ControlSession::on_request(std::size_t bytes) {
  std::string line(asio::buffers_begin(input_.data()), asio::buffers_begin(input_.data()) + bytes - 1);
  input_.consume(bytes);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  commands_.dispatch(line, peer_, *this);
  if (!socket_.is_open() || close_when_flushed_) return;
  if (holders_.empty())
    arm_idle_timer();
  else
    idle_timer_.cancel();  // a stream or a wait is under way: the client is not idle
  read_if_caught_up();
}

void ControlSession::read_if_caught_up() {
  reading_paused_ = outbox_bytes_ > limits_.reply_backlog_bytes;
  if (!reading_paused_) do_read();
}

void ControlSession::arm_idle_timer() {
  idle_timer_.expires_after(limits_.idle_timeout);
  idle_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self || !self->socket_.is_open()) return;
    self->run_guarded(runtime::Handler::session, [&] {
      // A client that has not read what it was sent would not read the notice either.
      if (self->reading_paused_ || self->close_when_flushed_) return self->close();
      self->refuse("idle-timeout", fmt::format("no request for {} ms: closing", self->limits_.idle_timeout.count()));
    });
  });
}

void ControlSession::send(const nlohmann::json& message) { send_serialized(json_text(message)); }

void ControlSession::send_serialized(std::string line) {
  line += '\n';
  queue(std::move(line), false);
}

void ControlSession::send_stream(const nlohmann::json& message) {
  if (!socket_.is_open() || close_when_flushed_) return;
  auto line = json_text(message) + '\n';
  if (stream_bytes_ + line.size() > limits_.stream_backlog_bytes) return drop_slow_follower();
  queue(std::move(line), true);
}

void ControlSession::drop_slow_follower() {
  const std::size_t behind = stream_bytes_;
  // The line being written stays: the client may read on up to the notice.
  auto first_unsent = outbox_.begin() + (writing_ ? 1 : 0);
  for (auto it = first_unsent; it != outbox_.end();) {
    if (!it->stream) {
      ++it;
      continue;
    }
    outbox_bytes_ -= it->line.size();
    stream_bytes_ -= it->line.size();
    it = outbox_.erase(it);
  }
  holders_.clear();  // its subscriptions and waits end here
  send(error_reply("slow-reader",
                   fmt::format("this client fell {} bytes behind its stream (at most {} may wait for a reader) and "
                               "was dropped; connect again to follow",
                               behind, limits_.stream_backlog_bytes)));
  close_when_flushed();
}

void ControlSession::keep_until_closed(std::shared_ptr<void> holder) { holders_.push_back(std::move(holder)); }

void ControlSession::queue(std::string line, bool stream) {
  if (!socket_.is_open() || close_when_flushed_) return;
  outbox_bytes_ += line.size();
  if (stream) stream_bytes_ += line.size();
  outbox_.push_back({std::move(line), stream});
  do_write();
}

void ControlSession::do_write() {
  if (writing_ || outbox_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outbox_.front().line),
                    [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                      self->writing_ = false;
                      if (error) return self->close();
                      const auto& sent = self->outbox_.front();
                      self->outbox_bytes_ -= sent.line.size();
                      if (sent.stream) self->stream_bytes_ -= sent.line.size();
                      self->outbox_.pop_front();
                      self->run_guarded(runtime::Handler::session, [&] { self->on_written(); });
                    });
}

void ControlSession::on_written() {
  if (outbox_.empty() && close_when_flushed_) return close();
  if (reading_paused_) read_if_caught_up();
  do_write();
}

void ControlSession::fail(const std::string& failure) {
  holders_.clear();  // its streams and waits end with it
  if (!socket_.is_open()) return;
  try {
    refuse("internal", failure);
  } catch (...) {
    close();
    throw;
  }
}

void ControlSession::close_when_flushed() {
  close_when_flushed_ = true;
  if (outbox_.empty() && !writing_) return close();
  arm_idle_timer();  // the client has as long to read what is left
}

}  // namespace moltbot::control
