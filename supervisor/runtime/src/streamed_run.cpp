#include "moltbot/runtime/streamed_run.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/piped_spawn.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::runtime {

namespace asio = boost::asio;

namespace {

class Run final : public StreamedRun, public std::enable_shared_from_this<Run> {
 public:
  Run(asio::io_context& io, const PipedChild& child, SecretRedactor secrets, Callbacks callbacks)
      : out_(io, child.out_fd),
        err_(io, child.err_fd),
        in_(io),
        pid_(child.pid),
        secrets_(std::move(secrets)),
        callbacks_(std::move(callbacks)) {
    if (child.in_fd >= 0) in_.assign(child.in_fd);
  }

  void watch(Reaper& reaper) {
    read(out_, STDOUT_FILENO);
    read(err_, STDERR_FILENO);
    reaper.watch(pid_, [self = shared_from_this()](ExitStatus status) {
      self->exit_ = status;
      // Its group's id is its pid, free for reuse from now on: the group is what it is now.
      self->group_left_ = own_children_in_group(self->pid_);
      self->contained([&] { self->finish_when_complete(); });
    });
  }

  pid_t pid() const override { return pid_; }

  void abandon() override {
    if (completed_) return;  // what it left behind closed its output and is not the client's any more
    callbacks_ = {};
    // Before the reap the group's id is the unreaped command's pid, which names nothing else.
    if (!exit_) ::kill(-pid_, SIGKILL);
    for (const auto& member : group_left_) signal_process(member, SIGKILL);
    boost::system::error_code ignored;
    out_.pipe.close(ignored);
    err_.pipe.close(ignored);
    in_.close(ignored);
  }

  void write_input(std::string bytes, std::function<void(std::optional<std::string>)> written) override {
    if (!callbacks_.done) return;  // abandoned, or ended
    const char* refusal = !in_.is_open() ? "the command's stdin is closed"
                          : writing_input_ ? "a chunk of stdin is still being written: one at a time"
                                          : nullptr;
    if (refusal)
      return asio::post(in_.get_executor(), [self = shared_from_this(), refusal, written = std::move(written)] {
        if (self->callbacks_.done) self->contained([&] { written(refusal); });
      });
    input_ = std::move(bytes);
    writing_input_ = true;
    asio::async_write(in_, asio::buffer(input_),
                      [self = shared_from_this(), written = std::move(written)](const boost::system::error_code& error,
                                                                                std::size_t) {
                        self->input_.clear();
                        self->writing_input_ = false;
                        if (!self->callbacks_.done) return;  // abandoned: nobody to tell
                        std::optional<std::string> failure;
                        if (error == asio::error::broken_pipe) failure = "the command closed its stdin";
                        else if (error) failure = "cannot write to the command's stdin: " + error.message();
                        if (failure) {
                          boost::system::error_code ignored;
                          self->in_.close(ignored);
                        }
                        self->contained([&] { written(failure); });
                      });
  }

  void close_input() override {
    boost::system::error_code ignored;
    in_.close(ignored);
  }

 private:
  struct Stream {
    Stream(asio::io_context& io, int fd) : pipe(io, fd) {}

    asio::posix::stream_descriptor pipe;
    std::array<char, chunk_bytes> chunk{};
    std::string pending;  // after the last newline handed on
    bool ended = false;
  };

  void read(Stream& stream, int fd) {
    stream.pipe.async_read_some(
        asio::buffer(stream.chunk), [self = shared_from_this(), &stream, fd](const boost::system::error_code& error,
                                                                              std::size_t n) {
          self->contained([&] {
            if (!self->callbacks_.output) return;  // abandoned
            stream.pending.append(stream.chunk.data(), n);
            self->hand_on(stream, fd, error.failed());
            if (!self->callbacks_.output) return;  // abandoned by its reader
            if (!error) return self->read(stream, fd);
            stream.ended = true;
            self->finish_when_complete();
          });
        });
  }

  // The whole lines of `stream.pending`, redacted (at its end, or when it grew to a chunk without a
  // newline: all of it).
  void hand_on(Stream& stream, int fd, bool at_end) {
    const auto newline = stream.pending.rfind('\n');
    const std::size_t ready = at_end || (newline == std::string::npos && stream.pending.size() >= chunk_bytes)
                                  ? stream.pending.size()
                              : newline == std::string::npos ? 0
                                                             : newline + 1;
    if (ready == 0) return;
    std::string text = stream.pending.substr(0, ready);
    stream.pending.erase(0, ready);
    secrets_.redact(text);
    auto output = callbacks_.output;  // a reader that gives up inside it abandons the run, callbacks and all
    output(fd, text);
  }

  // A handler that throws ends the run: the command is killed and the client told why.
  template <typename Body>
  void contained(Body&& body) {
    guarded(Handler::cli, {}, body, [this](const std::string& failure) {
      auto done = std::move(callbacks_.done);
      abandon();
      if (done) done(std::nullopt, failure);
    });
  }

  void finish_when_complete() {
    if (!exit_ || !out_.ended || !err_.ended || !callbacks_.done) return;
    auto done = std::move(callbacks_.done);
    callbacks_ = {};
    completed_ = true;
    done(exit_, {});
  }

  Stream out_;
  Stream err_;
  asio::posix::stream_descriptor in_;  // the write end of its stdin, when it has one
  std::string input_;                  // the chunk being written
  bool writing_input_ = false;
  pid_t pid_;
  SecretRedactor secrets_;
  Callbacks callbacks_;
  std::optional<ExitStatus> exit_;
  std::vector<ProcessId> group_left_;  // the group's members when the command was reaped
  bool completed_ = false;
};

}  // namespace

std::variant<std::shared_ptr<StreamedRun>, std::string> StreamedRun::start(asio::io_context& io, Reaper& reaper,
                                                                           SpawnRequest request, SecretRedactor secrets,
                                                                           Callbacks callbacks, ChildInput input) {
  auto spawned = spawn_piped(std::move(request), input);
  if (auto* shortage = std::get_if<Shortage>(&spawned)) return shortage->message;
  if (auto* error = std::get_if<std::string>(&spawned)) return *error;
  auto run = std::make_shared<Run>(io, std::get<PipedChild>(spawned), std::move(secrets), std::move(callbacks));
  run->watch(reaper);
  return run;
}

}  // namespace moltbot::runtime
