#include "moltbot/common/stable_hash.h"

namespace moltbot {

std::uint64_t fnv1a_64(std::string_view text, std::uint64_t hash) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace moltbot
