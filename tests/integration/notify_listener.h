#pragma once
// The service manager's end of sd_notify(3) for tests: a datagram socket at a path, or "@name" in
// the abstract namespace (what NOTIFY_SOCKET names), that records every message with its sender's pid (SO_PASSCRED, as systemd
// checks NotifyAccess=main) and the time it arrived. A thread reads all the time, because a full
// socket queue (10 datagrams by default) would block the supervisor in sd_notify().
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace moltbot::test {

struct NotifyMessage {
  std::vector<std::string> lines;  // "READY=1", "STATUS=...", in the order sent
  pid_t sender = 0;
  std::chrono::steady_clock::time_point received;

  bool has(const std::string& line) const;
  // The value of the first "NAME=value" line, empty when there is none.
  std::string value(const std::string& name) const;
};

class NotifyListener {
 public:
  explicit NotifyListener(std::filesystem::path path);
  ~NotifyListener();
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<NotifyMessage> messages() const;
  // Waits, woken by each arriving message, until `condition` holds for everything received so far.
  bool wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& condition,
                std::chrono::milliseconds timeout);

 private:
  void read_loop();

  std::filesystem::path path_;
  int socket_ = -1;
  int stop_ = -1;  // eventfd that ends read_loop
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<NotifyMessage> messages_;
  std::thread reader_;
};

// Every message that carries `line` (e.g. "WATCHDOG=1"), in order.
std::vector<NotifyMessage> with_line(const std::vector<NotifyMessage>& messages, const std::string& line);

}  // namespace moltbot::test
