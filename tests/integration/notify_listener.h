#pragma once
// The service manager's end of sd_notify(3) for tests: a datagram socket at a path, or "@name" in
// the abstract namespace (what NOTIFY_SOCKET names), that records every message with its sender's pid (SO_PASSCRED, as systemd
// checks NotifyAccess=main) and the time it arrived. A thread reads all the time, because a full
// socket queue (10 datagrams by default) would block the supervisor in sd_notify().
// It is also systemd's file-descriptor store: descriptors sent with FDSTORE=1 are kept under their
// FDNAME= ("stored" without one), FDSTOREREMOVE=1 closes those of a name, and stored() hands them
// to the next process as systemd would (LISTEN_FDS, LISTEN_FDNAMES, descriptors from 3 on).
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
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

// Duplicates of what the store held when taken, in the order stored, for a process to start with
// (ChildOptions::passed_fds / SupervisorLaunch::passed_fds, plus listen_env() and LISTEN_PID set
// to the new process's own pid). Closes its duplicates when destroyed.
struct StoredFds {
  std::vector<std::string> names;
  std::vector<int> fds;

  StoredFds() = default;
  ~StoredFds();
  StoredFds(StoredFds&& other) noexcept;
  StoredFds& operator=(StoredFds&&) = delete;
  StoredFds(const StoredFds&) = delete;

  // LISTEN_FDS and LISTEN_FDNAMES (colon-separated) for these descriptors.
  std::map<std::string, std::string> listen_env() const;
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

  // The store's content: names in the order stored (a name once per descriptor), and duplicates.
  std::vector<std::string> stored_names() const;
  StoredFds stored() const;

 private:
  void read_loop();
  // FDSTORE=1 / FDSTOREREMOVE=1 of one message; `received` are closed unless stored.
  void update_store(const NotifyMessage& message, std::vector<int>& received);

  std::filesystem::path path_;
  int socket_ = -1;
  int stop_ = -1;  // eventfd that ends read_loop
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<NotifyMessage> messages_;
  std::vector<std::pair<std::string, int>> store_;  // owned, in the order stored
  std::thread reader_;
};

// Every message that carries `line` (e.g. "WATCHDOG=1"), in order.
std::vector<NotifyMessage> with_line(const std::vector<NotifyMessage>& messages, const std::string& line);

}  // namespace moltbot::test
