#pragma once
// Fan-out of messages to subscribers that come and go with their connections. A subscription is
// a handle: dropping it unsubscribes, also after the topic itself is gone.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace moltbot::control {

template <typename Message>
class Topic {
 public:
  using Subscriber = std::function<void(const Message&)>;

  std::shared_ptr<void> subscribe(Subscriber subscriber) {
    auto id = next_id_++;
    subscribers_->emplace(id, std::move(subscriber));
    std::weak_ptr<Map> weak = subscribers_;
    return std::shared_ptr<void>(nullptr, [weak, id](void*) {
      if (auto subscribers = weak.lock()) subscribers->erase(id);
    });
  }

  // Whether a message would reach anyone: lets a publisher skip building one for nobody.
  bool has_subscribers() const { return !subscribers_->empty(); }

  void publish(const Message& message) const {
    // A subscriber may unsubscribe (or another) while being called: iterate over a snapshot.
    auto snapshot = *subscribers_;
    for (const auto& [id, subscriber] : snapshot)
      if (subscribers_->count(id)) subscriber(message);
  }

 private:
  using Map = std::map<std::uint64_t, Subscriber>;
  std::shared_ptr<Map> subscribers_ = std::make_shared<Map>();
  std::uint64_t next_id_ = 0;
};

}  // namespace moltbot::control
