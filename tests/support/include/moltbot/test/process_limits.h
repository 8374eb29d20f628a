#pragma once
// A process's own resources made scarce, for tests of what the supervisor does when it runs out:
// its descriptors (RLIMIT_NOFILE) and how many processes it may start (a cgroup v1 `pids`
// controller: root ignores RLIMIT_NPROC, a cgroup does not).
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::test {

// This process without a free descriptor: the soft RLIMIT_NOFILE lowered to its highest open
// descriptor + 1 and every lower slot filled (with /dev/null). The destructor gives all back.
class DescriptorsExhausted {
 public:
  DescriptorsExhausted();
  ~DescriptorsExhausted();
  DescriptorsExhausted(const DescriptorsExhausted&) = delete;
  DescriptorsExhausted& operator=(const DescriptorsExhausted&) = delete;

  // Frees `count` of the filling descriptors.
  void give_back(std::size_t count);

 private:
  std::optional<unsigned long> saved_soft_;
  std::vector<int> fillers_;
};

// `pid` moved into a cgroup of its own whose pids.max is the number of its tasks: it cannot fork.
// The destructor moves it back with whatever it started meanwhile, and removes the cgroup.
class NoMoreProcesses {
 public:
  // Why it cannot be done here (no writable pids hierarchy), or nothing.
  static std::optional<std::string> unavailable();

  explicit NoMoreProcesses(pid_t pid);  // throws std::runtime_error naming what failed
  ~NoMoreProcesses();
  NoMoreProcesses(const NoMoreProcesses&) = delete;
  NoMoreProcesses& operator=(const NoMoreProcesses&) = delete;

  // Lets it fork again.
  void lift();

 private:
  std::filesystem::path cgroup_;
};

}  // namespace moltbot::test
