#pragma once
// The last step of a fleet's stop: whatever is still a child of the supervisor once every profile
// is at rest (an adoptee no profile claimed, a probe in flight) gets SIGKILL through a pidfd, and
// `done` runs from the event loop once each has exited (its pidfd readable), or after `patience`
// for those that do not (a process stuck in the kernel), which are named in the log. Nothing
// waits on the loop.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace moltbot::runtime {

void end_strays(boost::asio::io_context& io, std::chrono::milliseconds patience, std::function<void()> done);

}  // namespace moltbot::runtime
