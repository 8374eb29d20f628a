#include "moltbot/control/control_session.h"

#include <fmt/format.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <istream>

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
  arm_idle_timer();
  do_read();
}

void ControlSession::refuse(const std::string& code, const std::string& message) {
  send(error_reply(code, message));
  close_when_flushed();
}

void ControlSession::close() {
  idle_timer_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  outbox_.clear();
  outbox_bytes_ = 0;
  holders_.clear();
}

void ControlSession::do_read() {
  asio::async_read_until(socket_, input_, '\n',
                         [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
                           self->on_read(error, bytes);
                         });
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
  queue(std::move(line));
}

void ControlSession::send_stream(const nlohmann::json& message) {
  if (stream_lines_queued_ >= limits_.stream_backlog) {
    ++dropped_;
    return;
  }
  ++stream_lines_queued_;
  send_serialized(json_text(message));
}

void ControlSession::keep_until_closed(std::shared_ptr<void> holder) { holders_.push_back(std::move(holder)); }

void ControlSession::queue(std::string line) {
  if (!socket_.is_open() || close_when_flushed_) return;
  outbox_bytes_ += line.size();
  outbox_.push_back(std::move(line));
  do_write();
}

void ControlSession::do_write() {
  if (writing_ || outbox_.empty()) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                      self->writing_ = false;
                      if (error) return self->close();
                      self->outbox_bytes_ -= self->outbox_.front().size();
                      self->outbox_.pop_front();
                      self->run_guarded(runtime::Handler::session, [&] { self->on_written(); });
                    });
}

void ControlSession::on_written() {
  if (stream_lines_queued_ > outbox_.size()) stream_lines_queued_ = outbox_.size();
  if (dropped_ > 0 && stream_lines_queued_ < limits_.stream_backlog)
    send(stream_message("dropped", {{"lines", std::exchange(dropped_, 0)}}));
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
