#include "moltbot/runtime/child_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
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

// "2026-11-26T05:40:01.123 line\n", in local time.
std::string stamped(std::string_view line) {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t time = seconds.count();
  std::tm local{};
  ::localtime_r(&time, &local);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03} {}\n", local, millis, line);
}
}  // namespace

ProfileLog::ProfileLog(std::shared_ptr<LogFolder> folder, const std::string& profile, std::shared_ptr<TailBudget> budget)
    : profile_(profile),
      path_((std::filesystem::path(folder->path()) / (profile + ".log")).string()),
      folder_(std::move(folder)),
      budget_(std::move(budget)) {
  open_file();
}

ProfileLog::~ProfileLog() { budget_->used -= tail_bytes_; }

// Every line is written as it comes, with no buffer: a crash of the supervisor loses none, tests
// can read them, and hundreds of profiles hold no buffer each.
void ProfileLog::open_file() {
  reopen_at_ = std::chrono::steady_clock::now() + reopen_interval;
  auto opened = LogFile::open(*folder_, profile_, rotate_bytes, rotate_files);
  if (auto* failure = std::get_if<std::string>(&opened)) return writing_failed(std::move(*failure));
  file_.emplace(std::move(std::get<LogFile>(opened)));
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
    auto failure = file_->append(stamped(text));
    if (!failure) {
      if (!failure_.empty())
        spdlog::info("profile {}: {} is written again; {} lines could not be written to it meanwhile", profile_,
                     path_, lost_lines_);
      failure_.clear();
      lost_lines_ = 0;
      return;
    }
    // A full disk may clear up with the same file, but a failed rotation leaves it closed: a
    // file that keeps failing is opened afresh with the next line.
    if (!file_->is_open() || std::chrono::steady_clock::now() >= reopen_at_) file_.reset();
    writing_failed(std::move(*failure));
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
               profile_, failure_, budget_->lines, reopen_interval.count());
}

void ProfileLog::remember(std::string line) {
  if (on_line_) on_line_(line);
  if (budget_->lines == 0) return;
  if (tail_count_ == tail_.size()) {
    if (tail_.size() < budget_->lines) {
      // Grown in order, oldest first, so the new slot comes after the newest line.
      std::rotate(tail_.begin(), tail_.begin() + static_cast<std::ptrdiff_t>(tail_start_), tail_.end());
      tail_start_ = 0;
      tail_.emplace_back();
    } else {
      drop_oldest();
    }
  }
  tail_bytes_ += line.size();
  budget_->used += line.size();
  tail_[(tail_start_ + tail_count_++) % tail_.size()] = std::move(line);
  while (tail_count_ > 1 && (tail_bytes_ > budget_->profile_bytes || budget_->used > budget_->total_bytes))
    drop_oldest();
}

void ProfileLog::drop_oldest() {
  auto& oldest = tail_[tail_start_];
  tail_bytes_ -= oldest.size();
  budget_->used -= oldest.size();
  std::string().swap(oldest);  // its memory goes now, not when the slot is reused
  tail_start_ = (tail_start_ + 1) % tail_.size();
  --tail_count_;
}

std::vector<std::string> ProfileLog::tail(std::size_t lines) const {
  const auto count = std::min(lines, tail_count_);
  std::vector<std::string> last;
  last.reserve(count);
  for (std::size_t i = tail_count_ - count; i < tail_count_; ++i) last.push_back(tail_[(tail_start_ + i) % tail_.size()]);
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
