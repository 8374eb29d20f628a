#pragma once
// Load that runs beside a fault, on threads of the test: paced `status` requests on the control
// socket, and /healthz requests to gateways. Each counts what it got; the test checks the counts
// once the load is stopped.
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace moltbot::test::fault_matrix {

struct ControlLoadResult {
  long sent = 0;
  long ok = 0;           // answered with "ok":true
  long failed = 0;       // an error reply, no reply within 5 s, or a lost connection
  double seconds = 0;    // from the first request to the last reply
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // request to reply
};

// `rate` status requests per second in all, spread over `connections` connections, each request
// sent on its schedule (or at once when the previous reply came late) and waiting for its reply.
class ControlLoad {
 public:
  ControlLoad(std::string socket_path, int rate, int connections, std::chrono::milliseconds duration);
  ~ControlLoad();
  ControlLoad(const ControlLoad&) = delete;
  ControlLoad& operator=(const ControlLoad&) = delete;

  // Ends the load before `duration` is over.
  void stop() { stop_ = true; }
  // Waits for the load to end and sums it up.
  ControlLoadResult finish();

 private:
  struct PerConnection {
    long sent = 0, ok = 0, failed = 0;
    std::vector<double> latencies_ms;
    std::chrono::steady_clock::time_point last_reply;
  };
  void run(int index, int connections, std::chrono::nanoseconds period);

  std::string socket_path_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point end_;
  std::atomic<bool> stop_{false};
  std::vector<PerConnection> results_;
  std::vector<std::thread> threads_;
};

// /healthz on every port in turn, one request at a time, until finished.
class HealthLoad {
 public:
  explicit HealthLoad(std::vector<int> ports);
  ~HealthLoad();
  HealthLoad(const HealthLoad&) = delete;
  HealthLoad& operator=(const HealthLoad&) = delete;

  // Stops and returns, per port, {requests, failures}.
  std::map<int, std::pair<long, long>> finish();

 private:
  std::vector<int> ports_;
  std::atomic<bool> stop_{false};
  std::map<int, std::pair<long, long>> counts_;
  std::thread thread_;
};

}  // namespace moltbot::test::fault_matrix
