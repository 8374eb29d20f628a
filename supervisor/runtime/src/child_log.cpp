#include "moltbot/runtime/child_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "moltbot/common/ansi_escapes.h"
#include "moltbot/runtime/guarded.h"

namespace moltbot::runtime {

namespace {
// A child that never writes a newline still gets its output logged, in pieces of this size.
constexpr std::size_t max_line = 64 * 1024;
// One buffer per turn of the event loop, as an asynchronous read would do.
constexpr int reads_per_wakeup = 1;

// "2026-11-26T05:40:01.123 line", in local time; what a "%Y-%m-%dT%H:%M:%S.%e %v" pattern writes,
// without a compiled pattern per profile.
class LineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override {
    auto since_epoch = message.time.time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    std::time_t time = seconds.count();
    std::tm local{};
    ::localtime_r(&time, &local);
    fmt::format_to(std::back_inserter(out), "{:%Y-%m-%dT%H:%M:%S}.{:03} {}\n", local, millis,
                   std::string_view(message.payload.data(), message.payload.size()));
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(); }
};
}  // namespace

ProfileLog::ProfileLog(const std::string& log_dir, const std::string& profile, std::size_t tail_lines)
    : profile_(profile), path_((std::filesystem::path(log_dir) / (profile + ".log")).string()), tail_lines_(tail_lines) {
  open_file();
}

ProfileLog::~ProfileLog() = default;

// spdlog retries a failing open five times, sleeping in between, which would stall the event
// loop: a plain open() tells first whether the file can be had at all.
void ProfileLog::open_file() {
  reopen_at_ = std::chrono::steady_clock::now() + reopen_interval;
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return writing_failed(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
  ::close(fd);
  try {
    // Every line is written as it comes, so a crash of the supervisor loses none and tests can
    // read them; a stdio buffer per file would only cost memory: 4 KiB per profile.
    spdlog::file_event_handlers unbuffered;
    unbuffered.after_open = [](const spdlog::filename_t&, std::FILE* file) { std::setvbuf(file, nullptr, _IONBF, 0); };
    file_ = std::make_unique<spdlog::sinks::rotating_file_sink_st>(path_, rotate_bytes, rotate_files, false,
                                                                   unbuffered);
  } catch (const spdlog::spdlog_ex& error) {
    return writing_failed(error.what());
  }
  file_->set_formatter(std::make_unique<LineFormatter>());
}

void ProfileLog::child_line(std::string_view line) {
  std::string clean(line);
  strip_ansi_escapes(clean);
  if (clean.empty() && !line.empty()) return;  // only escapes (a cleared screen): nothing to read
  redactor_.redact(clean);
  write(clean);
  remember(std::move(clean));
}

void ProfileLog::supervisor_line(std::string_view line) {
  auto marked = "[supervisor] " + std::string(line);
  redactor_.redact(marked);
  write(marked);
  remember(std::move(marked));
}

void ProfileLog::write(std::string_view text) {
  if (!file_ && std::chrono::steady_clock::now() >= reopen_at_) {
    if (!room_ || room_())
      open_file();
    else
      reopen_at_ = std::chrono::steady_clock::now() + reopen_interval;
  }
  if (file_) {
    try {
      file_->log(spdlog::details::log_msg(profile_, spdlog::level::info, text));
      if (!failure_.empty())
        spdlog::info("profile {}: {} is written again; {} lines could not be written to it meanwhile", profile_,
                     path_, lost_lines_);
      failure_.clear();
      lost_lines_ = 0;
      return;
    } catch (const std::exception& error) {
      // A full disk may clear up with the same file, but a failed rotation leaves it closed: a
      // file that keeps failing is opened afresh with the next line.
      if (std::chrono::steady_clock::now() >= reopen_at_) file_.reset();
      writing_failed(error.what());
    }
  }
  ++lost_lines_;
}

bool ProfileLog::close_file(std::string reason) {
  if (!file_) return false;
  file_.reset();
  reopen_at_ = std::chrono::steady_clock::now() + reopen_interval;
  // Said by whoever closed it, for all files at once; the file says when it is written again.
  if (failure_.empty()) failure_ = std::move(reason);
  return true;
}

void ProfileLog::writing_failed(std::string reason) {
  if (!failure_.empty()) return;  // said once per failure, not once per line
  failure_ = std::move(reason);
  spdlog::warn("profile {}: {}; its output is kept in memory only (the last {} lines, `logs`) until the log file "
               "can be written again (tried again every {}s)",
               profile_, failure_, tail_lines_, reopen_interval.count());
}

void ProfileLog::remember(std::string line) {
  if (on_line_) on_line_(line);
  if (tail_.size() < tail_lines_) {
    tail_.push_back(std::move(line));
    return;
  }
  if (tail_.empty()) return;
  tail_[tail_start_] = std::move(line);
  tail_start_ = (tail_start_ + 1) % tail_.size();
}

std::vector<std::string> ProfileLog::tail(std::size_t lines) const {
  auto count = std::min(lines, tail_.size());
  std::vector<std::string> last;
  last.reserve(count);
  for (std::size_t i = tail_.size() - count; i < tail_.size(); ++i) last.push_back(tail_[(tail_start_ + i) % tail_.size()]);
  return last;
}

std::shared_ptr<ChildOutput> ChildOutput::start(boost::asio::io_context& io, int read_fd,
                                                std::shared_ptr<ProfileLog> log) {
  auto output = std::make_shared<ChildOutput>(io, read_fd, std::move(log));
  output->wait_for_output();
  return output;
}

ChildOutput::ChildOutput(boost::asio::io_context& io, int read_fd, std::shared_ptr<ProfileLog> log)
    : pipe_(io, read_fd), log_(std::move(log)) {
  pipe_.non_blocking(true);
}

template <typename Body>
void ChildOutput::contained(Body&& body) {
  guarded(Handler::output, log_->profile(), body, [this](const std::string&) {
    partial_.clear();
    read_later();
  });
}

// Waiting for readability instead of reading asynchronously lets every pipe share one read
// buffer: with hundreds of children, a buffer each would be most of the supervisor's memory.
void ChildOutput::wait_for_output() {
  pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [self = shared_from_this()](const boost::system::error_code& error) {
                     if (error == boost::asio::error::operation_aborted) return;  // finished by drain_now
                     self->contained([&] {
                       if (error) return self->finish();
                       self->read_some_then_continue();
                     });
                   });
}

void ChildOutput::read_some_then_continue() {
  switch (read_available(reads_per_wakeup)) {
    case PipeState::empty: return wait_for_output();
    case PipeState::closed: return;
    // A child that writes without pause must not keep the event loop to itself: the rest is
    // read after the handlers already queued had their turn.
    case PipeState::more: return read_later();
  }
}

// (The pipe is edge-triggered, so waiting for readability again could wait forever for data
// that is already there.)
void ChildOutput::read_later() {
  boost::asio::post(pipe_.get_executor(), [self = shared_from_this()] {
    if (self->pipe_.is_open()) self->contained([&] { self->read_some_then_continue(); });
  });
}

std::optional<ChildOutput::Handover> ChildOutput::handover() {
  drain_now();
  if (!pipe_.is_open()) return std::nullopt;
  return Handover{pipe_.native_handle(), partial_};
}

std::shared_ptr<ChildOutput> ChildOutput::resume(boost::asio::io_context& io, Handover from,
                                                 std::shared_ptr<ProfileLog> log) {
  auto output = std::make_shared<ChildOutput>(io, from.fd, std::move(log));
  output->partial_ = std::move(from.partial);
  output->read_later();  // the child may have written while no process image read the pipe
  return output;
}

void ChildOutput::drain_now() {
  if (pipe_.is_open()) contained([&] { read_available(std::numeric_limits<int>::max()); });
}

ChildOutput::PipeState ChildOutput::read_available(int max_reads) {
  // Filled and consumed before returning, so one buffer serves every pipe.
  thread_local std::array<char, 16384> buffer;
  for (int reads = 0; reads < max_reads; ++reads) {
    boost::system::error_code error;
    std::size_t bytes = pipe_.read_some(boost::asio::buffer(buffer), error);
    consume(std::string_view(buffer.data(), bytes));
    if (error == boost::asio::error::interrupted) continue;
    if (error == boost::asio::error::would_block) return PipeState::empty;  // a descendant may still write
    if (error) {
      finish();
      return PipeState::closed;
    }
  }
  return PipeState::more;
}

void ChildOutput::consume(std::string_view bytes) {
  partial_.append(bytes);
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
  // Between bursts a gateway is mostly quiet: no buffer held per child meanwhile.
  if (partial_.empty()) partial_.shrink_to_fit();
}

void ChildOutput::finish() {
  if (!partial_.empty()) log_->child_line(partial_);
  partial_.clear();
  boost::system::error_code ignored;
  pipe_.close(ignored);
}

}  // namespace moltbot::runtime
