#include "handoff_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "atomic_file.h"
#include "moltbot/common/text_file.h"

namespace moltbot::gateway {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Far more than a record or request ever takes; a larger file is not one of ours.
constexpr std::size_t max_file_bytes = 64 * 1024;

// Holds the store's flock(2) while alive. Blocks while another process holds it: every holder
// only reads, writes or deletes one small file.
class StoreLock {
 public:
  explicit StoreLock(const fs::path& state_dir) : path_(state_dir / "gateway-restart-handoff.lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      error_ = errno;
      return;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  ~StoreLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

  bool locked() const { return fd_ >= 0; }
  bool state_dir_missing() const { return error_ == ENOENT; }
  std::string error() const { return "cannot lock " + path_.string() + ": " + std::strerror(error_); }

 private:
  fs::path path_;
  int fd_ = -1;
  int error_ = 0;
};

struct FileRead {
  std::optional<std::string> text;   // empty when there is no file
  std::optional<std::string> error;  // the file exists but cannot be read
};

FileRead read_if_present(const fs::path& path) {
  std::error_code ec;
  if (fs::symlink_status(path, ec).type() == fs::file_type::not_found) return {};
  if (ec) return {std::nullopt, path.string() + ": " + ec.message()};
  TextFile file = read_small_file(path, max_file_bytes);
  if (!file.text) return {std::nullopt, path.string() + ": " + file.error};
  return {file.text, std::nullopt};
}

std::optional<std::string> remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return std::nullopt;
  return "cannot delete " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

long long unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path handoff_record_path(const fs::path& state_dir) { return state_dir / "gateway-restart-handoff.json"; }

fs::path restart_request_path(const fs::path& state_dir) { return state_dir / "gateway-restart-request.json"; }

std::optional<std::string> write_handoff(const fs::path& state_dir, const Handoff& handoff) {
  StoreLock lock(state_dir);
  if (!lock.locked()) return lock.error();
  return write_file_atomically(handoff_record_path(state_dir), handoff_json(handoff).dump(2) + "\n");
}

ConsumeOutcome consume_handoff(const fs::path& state_dir, long long expected_pid) {
  StoreLock lock(state_dir);
  if (!lock.locked()) {
    if (lock.state_dir_missing()) return {decide_consume(std::nullopt, expected_pid, unix_now_ms()), {}};
    return {std::nullopt, lock.error()};
  }
  const fs::path path = handoff_record_path(state_dir);
  FileRead record = read_if_present(path);
  if (record.error) return {std::nullopt, *record.error};
  ConsumeDecision decision = decide_consume(record.text, expected_pid, unix_now_ms());
  if (decision.remove_record) {
    if (auto error = remove_file(path)) return {std::nullopt, *error};
  }
  return {std::move(decision), {}};
}

std::optional<std::string> write_restart_request(const fs::path& state_dir, pid_t pid, const std::string& reason) {
  StoreLock lock(state_dir);
  if (!lock.locked()) return lock.error();
  json request{{"pid", pid}, {"reason", reason}, {"createdAt", unix_now_ms()}};
  return write_file_atomically(restart_request_path(state_dir), request.dump() + "\n");
}

std::optional<std::string> take_restart_request(const fs::path& state_dir, pid_t own_pid) {
  StoreLock lock(state_dir);
  if (!lock.locked()) return std::nullopt;
  const fs::path path = restart_request_path(state_dir);
  FileRead file = read_if_present(path);
  if (!file.text) return std::nullopt;
  remove_file(path);
  json request = json::parse(*file.text, nullptr, /*allow_exceptions=*/false);
  auto field = [&](const char* key) { return request.is_object() && request.contains(key) ? request[key] : json(); };
  const json pid = field("pid"), created_at = field("createdAt"), reason = field("reason");
  if (!pid.is_number_integer() || pid.get<long long>() != own_pid || !created_at.is_number_integer()) return std::nullopt;
  const long long age = unix_now_ms() - created_at.get<long long>();
  if (age < 0 || age >= handoff_ttl_ms || !reason.is_string() || reason.get<std::string>().empty()) return std::nullopt;
  return reason.get<std::string>();
}

}  // namespace moltbot::gateway
