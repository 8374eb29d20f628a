#pragma once
// A lookup of the runtime that a test expects to be answered: the answer, or a failed test naming
// the shortage (shortage.h) that kept it from being answered.
#include <catch2/catch.hpp>
#include <utility>
#include <variant>

#include "moltbot/runtime/shortage.h"

namespace moltbot::test {

template <typename T>
T answered(runtime::OrShortage<T> result) {
  if (auto* shortage = std::get_if<runtime::Shortage>(&result)) FAIL("not answered: " << shortage->message);
  return std::get<T>(std::move(result));
}

}  // namespace moltbot::test
