// The stable hash: the published FNV-1a test vectors, and pieces hashing as their concatenation.
#include <catch2/catch.hpp>

#include "moltbot/common/stable_hash.h"

using moltbot::fnv1a_64;

TEST_CASE("FNV-1a 64 gives the published values") {
  CHECK(fnv1a_64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a_64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a_64("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("hashing in pieces is hashing the whole") {
  CHECK(fnv1a_64("bar", fnv1a_64("foo")) == fnv1a_64("foobar"));
  CHECK(fnv1a_64("ab") != fnv1a_64("ba"));
}
