#include "background_load.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "../control_fixture.h"
#include "moltbot/test/http_get.h"

namespace moltbot::test::fault_matrix {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The next line on `fd`, or nothing on timeout, error or end. Replies are only looked at, not
// parsed: at 1,000 a second, parsing them would load the test more than the supervisor.
std::optional<std::string> next_line(int fd, std::string& buffer, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto newline = buffer.find('\n'); newline != std::string::npos) {
      auto line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd ready{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&ready, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    char chunk[16384];
    auto got = ::read(fd, chunk, sizeof chunk);
    if (got <= 0) return std::nullopt;
    buffer.append(chunk, static_cast<std::size_t>(got));
  }
}

bool ok_reply(const std::string& line) {
  auto ok = line.find("\"ok\":true");
  return line.starts_with("{") && ok != std::string::npos && ok < 32;
}

}  // namespace

ControlLoad::ControlLoad(std::string socket_path, int rate, int connections, std::chrono::milliseconds duration)
    : socket_path_(std::move(socket_path)), start_(Clock::now()), end_(start_ + duration),
      results_(static_cast<std::size_t>(connections)) {
  const auto period = std::chrono::nanoseconds(1s) * connections / rate;
  for (int index = 0; index < connections; ++index)
    threads_.emplace_back([this, index, connections, period] { run(index, connections, period); });
}

ControlLoad::~ControlLoad() {
  stop_ = true;
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void ControlLoad::run(int index, int connections, std::chrono::nanoseconds period) {
  auto& result = results_[static_cast<std::size_t>(index)];
  const auto request = request_line("status");
  auto connection = std::make_unique<RawConnection>(socket_path_);
  std::string buffer;
  // Connections take turns: connection i sends at start + i*period/connections + k*period; one
  // that falls behind sends at once, until the duration is over.
  auto next = start_ + period * index / connections;
  while (!stop_) {
    std::this_thread::sleep_until(next);
    if (next >= end_ || Clock::now() >= end_) break;
    next += period;
    if (!connection->connected()) connection = std::make_unique<RawConnection>(socket_path_);
    const auto sent_at = Clock::now();
    ++result.sent;
    connection->send(request);
    auto reply = next_line(connection->fd(), buffer, 5s);
    result.last_reply = Clock::now();
    if (reply && ok_reply(*reply)) {
      ++result.ok;
      result.latencies_ms.push_back(std::chrono::duration<double, std::milli>(result.last_reply - sent_at).count());
    } else {
      ++result.failed;
      connection = std::make_unique<RawConnection>(socket_path_);
      buffer.clear();
    }
  }
}

ControlLoadResult ControlLoad::finish() {
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  ControlLoadResult sum;
  std::vector<double> latencies;
  auto last = start_;
  for (const auto& result : results_) {
    sum.sent += result.sent;
    sum.ok += result.ok;
    sum.failed += result.failed;
    latencies.insert(latencies.end(), result.latencies_ms.begin(), result.latencies_ms.end());
    last = std::max(last, result.last_reply);
  }
  sum.seconds = std::chrono::duration<double>(last - start_).count();
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double fraction) {
      return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(fraction * latencies.size()))];
    };
    sum.p50_ms = at(0.50);
    sum.p99_ms = at(0.99);
    sum.max_ms = latencies.back();
  }
  return sum;
}

HealthLoad::HealthLoad(std::vector<int> ports) : ports_(std::move(ports)) {
  thread_ = std::thread([this] {
    while (!stop_)
      for (int port : ports_) {
        auto& [requests, failures] = counts_[port];
        ++requests;
        if (!http_get("127.0.0.1", port, "/healthz", 2000ms).ok()) ++failures;
      }
  });
}

HealthLoad::~HealthLoad() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::map<int, std::pair<long, long>> HealthLoad::finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return counts_;
}

}  // namespace moltbot::test::fault_matrix
