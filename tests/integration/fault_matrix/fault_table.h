#pragma once
// The fault matrix's result table. Every TEST_CASE of the matrix is one fault, one row: the test
// says what it expects and what it observed; whether the row passed comes from the test case's
// own assertions (any failed CHECK or REQUIRE fails the row). The table is printed to stdout when
// the run ends, whatever the outcome: `ctest -R 'fault matrix' -V` shows it.
#include <string>

namespace moltbot::test::fault_matrix {

// The outcome this fault must have, in a sentence.
void expect(std::string text);
// One thing seen while the fault was injected ("back as pid 1234 after 210 ms").
void observe(std::string text);
// This fault cannot be injected here, because of `reason`: the row says so instead of passing.
void skip(std::string reason);

}  // namespace moltbot::test::fault_matrix
