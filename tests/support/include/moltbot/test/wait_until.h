#pragma once
// Polls a condition until it holds or a deadline passes: for states that announce themselves by
// no event a test can wait on (a port starts answering, a file appears).
#include <chrono>
#include <functional>

namespace moltbot::test {

// True as soon as `condition` is; false if it still is not after `timeout`.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(5));

}  // namespace moltbot::test
