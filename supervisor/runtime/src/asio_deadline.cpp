#include "moltbot/runtime/asio_deadline.h"

namespace moltbot::runtime {

AsioDeadline::AsioDeadline(boost::asio::io_context& io) : timer_(io) {}

AsioDeadline::~AsioDeadline() {
  ++shared_->generation;
  shared_->handler = nullptr;
}

void AsioDeadline::arm(TimePoint when) {
  auto generation = ++shared_->generation;
  timer_.expires_at(when);
  timer_.async_wait([weak = std::weak_ptr<Shared>(shared_), generation](const boost::system::error_code& error) {
    auto shared = weak.lock();
    if (error || !shared || shared->generation != generation || !shared->handler) return;
    shared->handler();
  });
}

void AsioDeadline::cancel() {
  ++shared_->generation;
  timer_.cancel();
}

void AsioDeadline::on_expiry(std::function<void()> handler) { shared_->handler = std::move(handler); }

}  // namespace moltbot::runtime
