#include "descriptor_limit.h"

#include <sys/resource.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace moltbot::daemon {

namespace {

std::string describe(rlim_t value) { return value == RLIM_INFINITY ? "unlimited" : std::to_string(value); }

}  // namespace

DescriptorLimitNote raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return {true, fmt::format("open files limit: cannot read it: {}", std::strerror(errno))};
  if (limit.rlim_cur == limit.rlim_max)
    return {false, fmt::format("open files limit: {} (the hard limit)", describe(limit.rlim_cur))};
  const rlim_t soft = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0)
    return {true, fmt::format("open files limit: {}; cannot raise it to the hard limit {}: {}", describe(soft),
                              describe(limit.rlim_max), std::strerror(errno))};
  return {false, fmt::format("open files limit: raised from {} to the hard limit {}", describe(soft),
                             describe(limit.rlim_max))};
}

}  // namespace moltbot::daemon
