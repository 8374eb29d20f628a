#pragma once
// The test process's own name (its main thread's comm, what /proc/PID/stat and `ps` show), set for
// as long as the object lives: to have a port held by a process with a name of the test's choice
// (the supervisor names a port's holder), bytes that are not UTF-8 included.
#include <string>

namespace moltbot::test {

class ScopedProcessName {
 public:
  // At most 15 bytes are kept (the kernel's limit). Call from the main thread.
  explicit ScopedProcessName(const std::string& name);
  ~ScopedProcessName();
  ScopedProcessName(const ScopedProcessName&) = delete;
  ScopedProcessName& operator=(const ScopedProcessName&) = delete;

 private:
  char saved_[17] = {};
};

}  // namespace moltbot::test
