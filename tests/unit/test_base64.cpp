#include "moltbot/common/base64.h"

#include <catch2/catch.hpp>
#include <string>

using moltbot::base64_decode;
using moltbot::base64_encode;

TEST_CASE("base64 of RFC 4648's test vectors, both ways") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(base64_encode(bytes) == text);
    CHECK(base64_decode(text) == bytes);
  }
}

TEST_CASE("base64 carries every byte value unchanged") {
  std::string bytes;
  for (int value = 0; value < 256; ++value) bytes += static_cast<char>(value);
  CHECK(base64_decode(base64_encode(bytes)) == bytes);
}

TEST_CASE("base64_decode refuses what is not padded base64") {
  CHECK_FALSE(base64_decode("Zg="));    // not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v!A==")); // outside the alphabet
  CHECK_FALSE(base64_decode("Zm=v"));   // padding in the middle
  CHECK_FALSE(base64_decode("Z==="));   // three pads
  CHECK_FALSE(base64_decode("Zg==Zg==")); // padding before the end
}
