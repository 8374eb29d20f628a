#include "moltbot/runtime/shortage.h"

#include <cerrno>
#include <cstring>

namespace moltbot::runtime {

bool is_shortage(int error) {
  return error == EMFILE || error == ENFILE || error == ENOMEM || error == ENOBUFS || error == EAGAIN;
}

Shortage shortage_of(std::string_view what, int error) {
  return {std::string(what) + ": " + std::strerror(error), error};
}

bool Shortage::of_descriptors() const { return error == EMFILE || error == ENFILE; }

}  // namespace moltbot::runtime
