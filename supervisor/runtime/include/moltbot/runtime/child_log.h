#pragma once
// A profile's log: every line its children write (and the supervisor's notes about it) goes to
// log_dir/PROFILE.log with size rotation (log_file.h), and the last lines stay in memory for
// status and the control socket, bounded in lines and bytes (TailBudget). A log file that cannot be opened or written (read-only or full file system)
// never stops the profile: its lines stay in memory, the supervisor's own log says so once, and
// the file is opened afresh now and then until it works again. The same when the supervisor,
// short of descriptors, closes the file (close_file): it is opened again once there is room.
// What is written and remembered is clean: terminal escape sequences are stripped from child
// lines, and the profile's secrets are `<redacted>` in every line (SecretRedactor).
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/secret_redactor.h"
#include "moltbot/runtime/log_file.h"

namespace moltbot::runtime {

// How much child output the supervisor keeps in memory: the last `lines` lines of each profile,
// at most `profile_bytes` of them per profile and `total_bytes` for all profiles together. A
// profile whose new line takes it (or the fleet) past a bound drops its own oldest lines, down
// to the new one: a noisy profile never pushes a quiet one's lines out.
struct TailBudget {
  std::size_t lines = 200;
  std::size_t profile_bytes = 1024 * 1024;
  std::size_t total_bytes = 32 * 1024 * 1024;
  std::size_t used = 0;  // bytes held by every profile's tail
};

class ProfileLog {
 public:
  static constexpr std::size_t rotate_bytes = 10 * 1024 * 1024;
  static constexpr std::size_t rotate_files = 3;

  // At most this often, a file that cannot be opened is tried again and one that keeps failing is
  // opened afresh (a failed rotation leaves it closed).
  static constexpr std::chrono::seconds reopen_interval{2};

  // `folder` and `budget` are shared by every profile of the fleet.
  ProfileLog(std::shared_ptr<LogFolder> folder, const std::string& profile, std::shared_ptr<TailBudget> budget);
  ~ProfileLog();
  ProfileLog(const ProfileLog&) = delete;
  ProfileLog& operator=(const ProfileLog&) = delete;

  // A line of the child's output: escape sequences stripped first, so a coloured secret is
  // found too, then secrets redacted. A line of escape sequences alone is dropped.
  void child_line(std::string_view line);
  // The supervisor's own note about this profile ("started pid 42"), marked as such; secrets redacted.
  void supervisor_line(std::string_view line);

  // The profile's secrets as of its latest start (gateway::LaunchSpec::secrets), replacing earlier
  // ones: set before anything about that start is written.
  void set_secrets(std::vector<std::string> secrets) { redactor_ = SecretRedactor(std::move(secrets)); }
  // For what reaches operators without passing through this log: events and status.
  const SecretRedactor& redactor() const { return redactor_; }

  std::vector<std::string> tail(std::size_t lines) const;
  // A re-exec carries the lines in memory across: they are remembered again, oldest first, not
  // written to the file again (it has them).
  void restore_tail(const std::vector<std::string>& lines) {
    for (const auto& line : lines) remember(line);
  }
  std::size_t tail_capacity() const { return budget_->lines; }
  const std::string& path() const { return path_; }
  const std::string& profile() const { return profile_; }
  // Every line as it is remembered, for followers on the control socket (`logs -f`).
  void on_line(std::function<void(const std::string&)> observer) { on_line_ = std::move(observer); }

  // Closes the file, to give its descriptor back; lines stay in memory meanwhile. False when it
  // was not open.
  bool close_file(std::string reason);
  // A file that is not open is opened again only when `room` says so (ResourceGuard).
  void reopen_only_when(std::function<bool()> room) { room_ = std::move(room); }

 private:
  void remember(std::string line);
  void drop_oldest();
  void write(std::string_view text);
  void open_file();
  void writing_failed(std::string reason);

  std::string profile_;
  std::string path_;
  SecretRedactor redactor_;
  std::shared_ptr<LogFolder> folder_;
  std::optional<LogFile> file_;  // empty while it cannot be opened
  std::string failure_;  // why lines do not reach the file; empty when they do
  std::size_t lost_lines_ = 0;            // lines of this failure that only the tail has
  std::chrono::steady_clock::time_point reopen_at_;
  // A ring of the last lines, grown only as far as the output goes (at most budget_->lines
  // slots): tail_count_ lines from tail_start_ on, tail_bytes_ in all.
  std::vector<std::string> tail_;
  std::size_t tail_start_ = 0;
  std::size_t tail_count_ = 0;
  std::size_t tail_bytes_ = 0;
  std::shared_ptr<TailBudget> budget_;
  std::function<void(const std::string&)> on_line_;
  std::function<bool()> room_;
};

// Reads one child's stdout+stderr pipe into a ProfileLog until EOF. Keeps itself alive while
// reading; outlives the child when a descendant still holds the pipe open. A read whose handling
// throws (guarded.h) loses the line it was on, never the pipe: reading goes on with the next turn
// of the event loop, so the child never blocks on a full pipe.
class ChildOutput : public std::enable_shared_from_this<ChildOutput> {
 public:
  // Takes ownership of `read_fd`.
  static std::shared_ptr<ChildOutput> start(boost::asio::io_context& io, int read_fd,
                                            std::shared_ptr<ProfileLog> log);

  // Reads whatever is in the pipe right now, without waiting: called when the child's exit is
  // reaped, so its last lines (often the reason it died) are logged before the exit is.
  void drain_now();

  // A re-exec of the supervisor: what is in the pipe is read and logged now; the descriptor (to
  // keep open across the exec) and the line not yet ended go to the next process image, which
  // resumes reading with resume(). nullopt when the pipe is closed.
  struct Handover {
    int fd;
    std::string partial;
  };
  std::optional<Handover> handover();
  static std::shared_ptr<ChildOutput> resume(boost::asio::io_context& io, Handover from, std::shared_ptr<ProfileLog> log);

  ChildOutput(boost::asio::io_context& io, int read_fd, std::shared_ptr<ProfileLog> log);

 private:
  enum class PipeState { empty, more, closed };  // closed: EOF, every writer is gone

  void wait_for_output();
  void read_some_then_continue();
  void read_later();
  template <typename Body>
  void contained(Body&& body);
  // Reads until the pipe is empty, closed, or `max_reads` reads were made.
  PipeState read_available(int max_reads);
  void consume(std::string_view bytes);
  void finish();

  boost::asio::posix::stream_descriptor pipe_;
  std::shared_ptr<ProfileLog> log_;
  std::string partial_;  // a line not yet ended
};

}  // namespace moltbot::runtime
