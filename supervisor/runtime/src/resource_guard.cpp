#include "moltbot/runtime/resource_guard.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "moltbot/runtime/guarded.h"

namespace moltbot::runtime {

namespace {

std::string descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return "unknown";
  return std::to_string(limit.rlim_cur);
}

}  // namespace

ResourceGuard::ResourceGuard(boost::asio::io_context& io, std::size_t reserve)
    : refill_timer_(io), reserve_target_(reserve) {
  if (!refill())
    spdlog::warn("descriptor reserve: only {} of {} descriptors could be set aside (open files limit {})",
                 reserve_.size(), reserve_target_, descriptor_limit());
}

ResourceGuard::~ResourceGuard() { release_reserve(); }

void ResourceGuard::add_shedder(Shedder shedder) { shedders_.push_back(std::move(shedder)); }

void ResourceGuard::shortage(std::string_view what, const Shortage& shortage) {
  // The guard's own failure is no gateway's either: logged, and the caller retries as it would;
  // the reserve is looked after again refill_delay later.
  guarded(
      Handler::reserve, {}, [&] { relieve(what, shortage); }, [this](const std::string&) { refill_later(); });
}

void ResourceGuard::relieve(std::string_view what, const Shortage& shortage) {
  std::vector<std::string> shed;
  if (shortage.of_descriptors()) {
    release_reserve();
    // Enough for the reserve to be whole again with room to spare once it is refilled.
    std::size_t wanted = reserve_target_ + optional_headroom;
    for (const auto& shedder : shedders_) {
      if (wanted == 0) break;
      auto given = shedder(wanted);
      if (given.freed == 0) continue;
      shed.push_back(std::move(given.what));
      wanted -= std::min(wanted, given.freed);
    }
    refill_later();
  }
  warn(what, shortage, shed);
}

void ResourceGuard::warn(std::string_view what, const Shortage& shortage, const std::vector<std::string>& shed) {
  ++unreported_;
  const auto now = std::chrono::steady_clock::now();
  if (last_warning_ && now - *last_warning_ < warning_interval && shed.empty()) return;
  last_warning_ = now;
  said_short_ = true;
  spdlog::warn(
      "the supervisor is short of its own resources: {}: {} (open files limit {}); shed: {}; no gateway is "
      "blamed for it, the step is retried ({} shortage(s) since the last warning)",
      what, shortage.message, descriptor_limit(),
      shed.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(shed, ", ")), std::exchange(unreported_, 0));
}

bool ResourceGuard::room_for_optional() const {
  if (reserve_.size() < reserve_target_) return false;
  // The descriptors are there if they can be had: take them and give them back.
  const int model = reserve_.empty() ? STDIN_FILENO : reserve_.front();
  std::vector<int> spare;
  while (spare.size() < optional_headroom) {
    const int fd = ::fcntl(model, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) break;
    spare.push_back(fd);
  }
  for (int fd : spare) ::close(fd);
  return spare.size() == optional_headroom;
}

void ResourceGuard::release_reserve() {
  for (int fd : reserve_) ::close(fd);
  reserve_.clear();
}

bool ResourceGuard::refill() {
  while (reserve_.size() < reserve_target_) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    reserve_.push_back(fd);
  }
  return true;
}

void ResourceGuard::refill_later() {
  if (std::exchange(refill_pending_, true)) return;
  refill_timer_.expires_after(refill_delay);
  refill_timer_.async_wait([this](const boost::system::error_code& error) {
    refill_pending_ = false;
    if (error) return;
    guarded(
        Handler::reserve, {},
        [this] {
          if (!refill()) return refill_later();
          if (std::exchange(said_short_, false))
            spdlog::info("the supervisor's descriptor reserve is whole again ({} descriptors)", reserve_.size());
        },
        [this](const std::string&) { refill_later(); });
  });
}

}  // namespace moltbot::runtime
