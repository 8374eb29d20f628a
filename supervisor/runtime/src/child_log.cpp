#include "moltbot/runtime/child_log.h"


#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>

#include <filesystem>

namespace moltbot::runtime {

namespace {
// A child that never writes a newline still gets its output logged, in pieces of this size.
constexpr std::size_t max_line = 64 * 1024;
}  // namespace

ProfileLog::ProfileLog(const std::string& log_dir, const std::string& profile, std::size_t tail_lines)
    : path_((std::filesystem::path(log_dir) / (profile + ".log")).string()), tail_lines_(tail_lines) {
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(path_, rotate_bytes, rotate_files);
    file_ = std::make_shared<spdlog::logger>(profile, std::move(sink));
  } catch (const spdlog::spdlog_ex& error) {
    throw std::runtime_error("cannot open log file " + path_ + ": " + error.what());
  }
  file_->set_pattern("%Y-%m-%dT%H:%M:%S.%e %v");
  // Lines reach the file as they come: a crash of the supervisor loses none, tests can read them.
  file_->flush_on(spdlog::level::trace);
}

ProfileLog::~ProfileLog() = default;

void ProfileLog::child_line(std::string_view line) {
  file_->info("{}", line);
  remember(std::string(line));
}

void ProfileLog::supervisor_line(std::string_view line) {
  file_->info("[supervisor] {}", line);
  remember("[supervisor] " + std::string(line));
}

void ProfileLog::remember(std::string line) {
  if (on_line_) on_line_(line);
  tail_.push_back(std::move(line));
  while (tail_.size() > tail_lines_) tail_.pop_front();
}

std::vector<std::string> ProfileLog::tail(std::size_t lines) const {
  auto count = std::min(lines, tail_.size());
  return {tail_.end() - static_cast<std::ptrdiff_t>(count), tail_.end()};
}

std::shared_ptr<ChildOutput> ChildOutput::start(boost::asio::io_context& io, int read_fd,
                                                std::shared_ptr<ProfileLog> log) {
  auto output = std::make_shared<ChildOutput>(io, read_fd, std::move(log));
  output->do_read();
  return output;
}

ChildOutput::ChildOutput(boost::asio::io_context& io, int read_fd, std::shared_ptr<ProfileLog> log)
    : pipe_(io, read_fd), log_(std::move(log)) {
  pipe_.non_blocking(true);
}

void ChildOutput::do_read() {
  pipe_.async_read_some(boost::asio::buffer(buffer_),
                        [self = shared_from_this()](const boost::system::error_code& error, std::size_t bytes) {
                          if (error == boost::asio::error::operation_aborted) return;  // drain_now closed it
                          self->consume(bytes);
                          if (error) return self->finish();
                          self->do_read();
                        });
}

void ChildOutput::drain_now() {
  if (!pipe_.is_open()) return;
  for (;;) {
    boost::system::error_code error;
    std::size_t bytes = pipe_.read_some(boost::asio::buffer(buffer_), error);
    consume(bytes);
    if (error == boost::asio::error::interrupted) continue;
    if (error == boost::asio::error::would_block) return;  // a descendant still holds the pipe
    if (error) return finish();                             // EOF: every writer is gone
  }
}

void ChildOutput::consume(std::size_t bytes) {
  partial_.append(buffer_.data(), bytes);
  std::size_t start = 0;
  for (;;) {
    auto newline = partial_.find('\n', start);
    if (newline == std::string::npos) break;
    auto line = std::string_view(partial_).substr(start, newline - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    log_->child_line(line);
    start = newline + 1;
  }
  partial_.erase(0, start);
  while (partial_.size() >= max_line) {
    log_->child_line(std::string_view(partial_).substr(0, max_line));
    partial_.erase(0, max_line);
  }
}

void ChildOutput::finish() {
  if (!partial_.empty()) log_->child_line(partial_);
  partial_.clear();
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

}  // namespace moltbot::runtime
