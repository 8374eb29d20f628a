#include "moltbot/runtime/cli_run.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/piped_spawn.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::runtime {

namespace asio = boost::asio;

std::string CliOutcome::describe() const {
  if (!exit) return failure;
  if (error_tail.empty()) return exit->describe();
  return fmt::format("{}: {}", exit->describe(), error_tail);
}

namespace {

// One captured stream of the command: read as it comes so the child never blocks on a full pipe,
// kept up to a bound, until the end of the stream.
class CapturedPipe {
 public:
  CapturedPipe(asio::io_context& io, int fd) : pipe_(io, fd) {}

  // Reads until the end of the stream, then calls `ended`.
  void do_read(std::function<void()> ended) {
    pipe_.async_read_some(asio::buffer(chunk_), [this, ended = std::move(ended)](const boost::system::error_code& error,
                                                                                  std::size_t n) mutable {
      keep(n);
      if (error) {
        ended_ = true;
        return ended();
      }
      do_read(std::move(ended));
    });
  }

  bool ended() const { return ended_; }

  void close() {
    boost::system::error_code ignored;
    pipe_.close(ignored);
  }

  const std::string& text() const { return text_; }

 private:
  void keep(std::size_t n) {
    const std::size_t room = max_cli_output - std::min(max_cli_output, text_.size());
    text_.append(chunk_.data(), std::min(n, room));
  }

  asio::posix::stream_descriptor pipe_;
  std::array<char, 4096> chunk_{};
  std::string text_;
  bool ended_ = false;
};

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  auto start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

class CliRun : public std::enable_shared_from_this<CliRun> {
 public:
  CliRun(asio::io_context& io, int out_fd, int err_fd, std::chrono::milliseconds timeout,
         std::function<void(CliOutcome)> done)
      : out_(io, out_fd), err_(io, err_fd), timer_(io), timeout_(timeout), done_(std::move(done)) {}

  // Done when the command has exited and both streams have ended (its last words are read), or
  // at the deadline: then its process group is killed (what is left of it, when the command had
  // exited and only a descendant still held a stream open).
  void start(Reaper& reaper, pid_t pid) {
    pid_ = pid;
    auto self = shared_from_this();
    out_.do_read([self] { self->contained([&] { self->finish_when_complete(); }); });
    err_.do_read([self] { self->contained([&] { self->finish_when_complete(); }); });
    reaper.watch(pid, [self](ExitStatus status) {
      self->exit_ = status;
      // Its group's id is its pid, free for reuse from now on: the group is what it is now.
      self->group_left_ = own_children_in_group(self->pid_);
      self->contained([&] { self->finish_when_complete(); });
    });
    timer_.expires_after(timeout_);
    timer_.async_wait([self](const boost::system::error_code& error) {
      if (error) return;
      self->contained([&] {
        self->kill_group();
        if (self->exit_) return self->finish(self->exit_, {});
        // The exit still arrives through the reaper; the verdict is the deadline.
        self->finish(std::nullopt, fmt::format("timed out after {} ms", self->timeout_.count()));
      });
    });
  }

 private:
  // A handler that throws ends the run as the deadline would, with the failure as its verdict:
  // whoever waits for the answer (a profile's start, a planned restart) gets one at once.
  template <typename Body>
  void contained(Body&& body) {
    guarded(Handler::cli, {}, body, [this](const std::string& failure) {
      if (!exit_) ::kill(-pid_, SIGKILL);
      finish(std::nullopt, failure);
    });
  }

  void finish_when_complete() {
    if (exit_ && out_.ended() && err_.ended()) finish(exit_, {});
  }

  void kill_group() {
    // Before the reap the group's id is the unreaped command's pid, which names nothing else.
    if (!exit_) ::kill(-pid_, SIGKILL);
    for (const auto& member : group_left_) signal_process(member, SIGKILL);
  }

  void finish(std::optional<ExitStatus> exit, std::string failure) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    timer_.cancel();
    CliOutcome outcome{exit, out_.text(), last_line(err_.text()), std::move(failure)};
    out_.close();
    err_.close();
    done(std::move(outcome));
  }

  CapturedPipe out_;
  CapturedPipe err_;
  asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  std::function<void(CliOutcome)> done_;
  pid_t pid_ = 0;
  std::optional<ExitStatus> exit_;
  std::vector<ProcessId> group_left_;  // the group's members when the command was reaped
};

}  // namespace

void run_cli(asio::io_context& io, Reaper& reaper, SpawnRequest request, std::chrono::milliseconds timeout,
             std::function<void(CliOutcome)> done) {
  auto fail_later = [&](std::string failure, std::optional<Shortage> shortage) {
    asio::post(io, [done = std::move(done), failure = std::move(failure), shortage = std::move(shortage)] {
      guarded(Handler::cli, [&] { done(CliOutcome{{}, {}, {}, failure, shortage}); });
    });
  };
  auto spawned = spawn_piped(std::move(request));
  if (auto* shortage = std::get_if<Shortage>(&spawned)) return fail_later(shortage->message, *shortage);
  if (auto* error = std::get_if<std::string>(&spawned)) return fail_later(*error, std::nullopt);
  const auto& child = std::get<PipedChild>(spawned);
  std::make_shared<CliRun>(io, child.out_fd, child.err_fd, timeout, std::move(done))->start(reaper, child.pid);
}

}  // namespace moltbot::runtime
