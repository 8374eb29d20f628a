#pragma once
// A gateway whose wrapper writes a numbered line ("line N") every 10 ms on the gateway's output
// pipe, and the numbers read back from its profile log: a gap or a repeat shows a lost or doubled
// line across whatever the supervisor went through meanwhile (a re-exec, a crash and adoption).
#include <string>
#include <vector>

#include "supervisor_fixture.h"

namespace moltbot::test {

ProfileOptions counting_profile();

// The numbers of the wrapper's lines in the profile log, in order.
std::vector<long> counted_lines(const std::string& log);

}  // namespace moltbot::test
