#include "moltbot/runtime/asio_deadline.h"

#include <boost/asio/post.hpp>

namespace moltbot::runtime {

AsioDeadline::AsioDeadline(boost::asio::io_context& io) : timer_(io) {}

AsioDeadline::~AsioDeadline() {
  ++shared_->generation;
  shared_->handler = nullptr;
}

void AsioDeadline::arm(TimePoint when) {
  auto generation = ++shared_->generation;
  shared_->due = when;
  auto expire = [weak = std::weak_ptr<Shared>(shared_), generation] {
    auto shared = weak.lock();
    if (!shared || shared->generation != generation) return;
    shared->due.reset();
    if (shared->handler) shared->handler();
  };
  if (when <= now()) {
    // Due already (a restart with no backoff): the next turn of the loop, without the timer's
    // round trip through the kernel on the respawn path.
    timer_.cancel();
    boost::asio::post(timer_.get_executor(), std::move(expire));
    return;
  }
  timer_.expires_at(when);
  timer_.async_wait([expire = std::move(expire)](const boost::system::error_code& error) {
    if (!error) expire();
  });
}

void AsioDeadline::cancel() {
  ++shared_->generation;
  shared_->due.reset();
  timer_.cancel();
}

void AsioDeadline::on_expiry(std::function<void()> handler) { shared_->handler = std::move(handler); }

}  // namespace moltbot::runtime
