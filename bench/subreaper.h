#pragma once
// The bench as the subreaper of everything it starts: the real gateway leaves helpers in their
// own sessions, which outlive a kill of its process group and would be adopted by init. Here they
// are adopted by the bench, and at scope exit every adopted process is killed by pid and reaped.
// Single-threaded benches only: orphans are re-parented to the main thread, whose children list
// is read.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace moltbot::bench {

class Subreaper {
 public:
  Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~Subreaper() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (reap_children() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // an adopted process may fork once more
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
  Subreaper(const Subreaper&) = delete;
  Subreaper& operator=(const Subreaper&) = delete;

 private:
  // Kills and reaps the children this process has now; false when it had none.
  static bool reap_children() {
    const std::string self = std::to_string(::getpid());
    std::ifstream children("/proc/" + self + "/task/" + self + "/children");
    bool any = false;
    for (pid_t child = 0; children >> child;) {
      any = true;
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
    return any;
  }
};

}  // namespace moltbot::bench
