#include "scoped_mount.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

// Catch2 v2 declares its listener interfaces only on request.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace moltbot::test::fault_matrix {

namespace {

std::optional<std::string>& unavailable_reason() {
  static std::optional<std::string> reason = std::string("the private mount namespace was not entered");
  return reason;
}

// Enters a private mount namespace when the run starts, before any test starts a process.
class MountNamespaceListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testRunStarting(const Catch::TestRunInfo&) override {
    if (::unshare(CLONE_NEWNS) != 0) {
      unavailable_reason() = std::string("mounts need CAP_SYS_ADMIN: unshare(CLONE_NEWNS): ") + std::strerror(errno);
    } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      // Without this, mounts would propagate to the host's namespace.
      unavailable_reason() = std::string("making / private: ") + std::strerror(errno);
    } else {
      unavailable_reason().reset();
    }
  }
};
CATCH_REGISTER_LISTENER(MountNamespaceListener)

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

std::optional<std::string> mounts_unavailable() { return unavailable_reason(); }

void fill_up(const std::filesystem::path& dir) {
  const auto path = dir / "filler";
  const int filler = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (filler < 0) fail("open " + path.string());
  const std::string chunk(64 * 1024, 'x');
  while (::write(filler, chunk.data(), chunk.size()) > 0) {
  }
  const int error = errno;
  ::close(filler);
  errno = error;
  if (error != ENOSPC) fail("filling " + path.string() + " up to ENOSPC");
}

ScopedMount::ScopedMount(Kind kind, std::filesystem::path target, std::size_t bytes) : target_(std::move(target)) {
  if (auto reason = mounts_unavailable()) throw std::runtime_error(*reason);
  if (kind == Kind::tmpfs) {
    auto options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", target_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0)
      fail("mount -t tmpfs -o " + options + " " + target_.string());
  } else {
    if (::mount(target_.c_str(), target_.c_str(), nullptr, MS_BIND, nullptr) != 0)
      fail("mount --bind " + target_.string());
    if (::mount(nullptr, target_.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      int error = errno;
      ::umount2(target_.c_str(), MNT_DETACH);
      errno = error;
      fail("mount -o remount,bind,ro " + target_.string());
    }
  }
  mounted_ = true;
}

ScopedMount::~ScopedMount() { remove(); }

void ScopedMount::remove() {
  if (std::exchange(mounted_, false)) ::umount2(target_.c_str(), MNT_DETACH);
}

}  // namespace moltbot::test::fault_matrix
