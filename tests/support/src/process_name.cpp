#include "moltbot/test/process_name.h"

#include <sys/prctl.h>

namespace moltbot::test {

ScopedProcessName::ScopedProcessName(const std::string& name) {
  ::prctl(PR_GET_NAME, saved_);
  ::prctl(PR_SET_NAME, name.c_str());
}

ScopedProcessName::~ScopedProcessName() { ::prctl(PR_SET_NAME, saved_); }

}  // namespace moltbot::test
