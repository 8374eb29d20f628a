#pragma once
// The supervisor's own resources running short (descriptors above all) never cost a gateway
// anything. The guard holds a reserve of descriptors for the restart path and decides who gives
// way when descriptors run out: first control connections, then profile log files (shedders,
// asked in the order they were added); never a gateway's pipe, lock or probe.
//
// Whoever meets a shortage on a gateway's behalf (spawn, probe, port and listener lookups) calls
// shortage() and then retries once. Out of descriptors, the reserve has been released by then, so
// the retry has room, and the shedders have freed what they could; the reserve is refilled
// refill_delay later, and again every refill_delay until it is whole. Other shortages (memory,
// processes) cost nothing that closing descriptors would give back: the retry is all. Either way
// the supervisor's log says so, at most once per warning_interval (unless something was shed) with
// the number of shortages since. Optional descriptors (a control connection, a
// shed log file opened again) are taken only while room_for_optional() says so, which keeps the
// last few descriptors for the gateways' side. The guard's own handlers (a shortage's relief, the
// refill timer) run inside the catch boundary as kind `reserve` (guarded.h): a failure there is
// logged and the reserve looked after again later; it never reaches the gateway whose step met
// the shortage.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {

class ResourceGuard {
 public:
  // A spawn needs 3 descriptors at once (a pipe, and /dev/null in the child), a probe 1 to 3.
  static constexpr std::size_t reserve_size = 8;
  // What an optional descriptor must leave free besides the reserve.
  static constexpr std::size_t optional_headroom = 4;
  static constexpr std::chrono::seconds refill_delay{1};
  static constexpr std::chrono::seconds warning_interval{10};

  struct Shed {
    std::size_t freed = 0;  // descriptors given back
    std::string what;       // "3 idle control connections"
  };
  // Frees up to `wanted` descriptors now (closing them before it returns).
  using Shedder = std::function<Shed(std::size_t wanted)>;

  // Takes the reserve: `reserve` descriptors on /dev/null.
  explicit ResourceGuard(boost::asio::io_context& io, std::size_t reserve = reserve_size);
  ~ResourceGuard();
  ResourceGuard(const ResourceGuard&) = delete;
  ResourceGuard& operator=(const ResourceGuard&) = delete;

  void add_shedder(Shedder shedder);

  // `what` ("health probe of profile main") met `shortage` on a gateway's behalf. Releases the
  // reserve and sheds when it is out of descriptors, warns; the caller retries once.
  void shortage(std::string_view what, const Shortage& shortage);

  // Whether an optional descriptor may be kept now: the reserve is whole and optional_headroom
  // more descriptors are free.
  bool room_for_optional() const;
  std::size_t reserve_held() const { return reserve_.size(); }

 private:
  // shortage() inside the catch boundary.
  void relieve(std::string_view what, const Shortage& shortage);
  void release_reserve();
  bool refill();
  void refill_later();
  void warn(std::string_view what, const Shortage& shortage, const std::vector<std::string>& shed);

  boost::asio::steady_timer refill_timer_;
  bool refill_pending_ = false;
  std::size_t reserve_target_;
  std::vector<int> reserve_;
  std::vector<Shedder> shedders_;
  std::size_t unreported_ = 0;  // shortages since the last warning
  std::optional<std::chrono::steady_clock::time_point> last_warning_;
  bool said_short_ = false;  // warned since the reserve was last whole
};

}  // namespace moltbot::runtime
