#pragma once
// The supervisor's own resources running out (descriptors, memory, processes, kernel buffers) is
// its own trouble, never a gateway's failure: what met it says so with a Shortage instead of an
// error, and the caller retries later instead of blaming the profile (resource_guard.h).
#include <string>
#include <string_view>
#include <variant>

namespace moltbot::runtime {

// EMFILE, ENFILE, ENOMEM, ENOBUFS, and EAGAIN (fork and clone past a process limit, no free
// local port).
bool is_shortage(int error);

struct Shortage {
  std::string message;  // "pipe: Too many open files"
  int error = 0;        // the errno

  // Out of descriptors (EMFILE, ENFILE): what the supervisor can free by closing some.
  bool of_descriptors() const;
};

// "`what`: strerror(error)".
Shortage shortage_of(std::string_view what, int error);

// A lookup's answer, or the shortage that kept the supervisor from getting it.
template <typename T>
using OrShortage = std::variant<T, Shortage>;

}  // namespace moltbot::runtime
