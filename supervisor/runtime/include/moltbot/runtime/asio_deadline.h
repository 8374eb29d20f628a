#pragma once
// The real Deadline: one steady_timer on the event loop; a deadline already due is posted.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "moltbot/runtime/runner_ports.h"

namespace moltbot::runtime {

class AsioDeadline final : public Deadline {
 public:
  explicit AsioDeadline(boost::asio::io_context& io);
  ~AsioDeadline() override;

  TimePoint now() const override { return SteadyClock::now(); }
  void arm(TimePoint when) override;
  void cancel() override;
  std::optional<TimePoint> due() const override { return shared_->due; }
  void on_expiry(std::function<void()> handler) override;

 private:
  // Shared with pending waits, so an expiry already queued when the deadline was re-armed,
  // cancelled or destroyed is recognised as stale and dropped.
  struct Shared {
    unsigned generation = 0;
    std::optional<TimePoint> due;
    std::function<void()> handler;
  };
  boost::asio::steady_timer timer_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace moltbot::runtime
