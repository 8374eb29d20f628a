#pragma once
// The supervisor's open-files limit: a service manager's default soft limit (1024 under systemd)
// is far below what a large fleet and its clients need, and the hard limit is ours to take.
#include <string>

namespace moltbot::daemon {

struct DescriptorLimitNote {
  bool warning = false;  // the limit could not be read or raised
  std::string text;      // "open files limit: raised from 1024 to the hard limit 524288"
};

// Raises the soft RLIMIT_NOFILE to the hard limit; says what both are, for the supervisor's log
// once the manifest is known to be valid.
DescriptorLimitNote raise_descriptor_limit();

}  // namespace moltbot::daemon
