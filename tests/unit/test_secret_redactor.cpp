// Secret values out of log lines, event messages and status text.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "moltbot/common/secret_redactor.h"

using moltbot::SecretRedactor;

namespace {

std::string redacted(const SecretRedactor& redactor, std::string text) {
  redactor.redact(text);
  return text;
}

}  // namespace

TEST_CASE("redactor: every occurrence of every secret becomes <redacted>", "[redactor]") {
  const SecretRedactor redactor({"tok-3f9a2c71", "hunter2hunter2"});
  CHECK(redacted(redactor, "exec gateway --token tok-3f9a2c71 --port 18789") == "exec gateway --token <redacted> --port 18789");
  CHECK(redacted(redactor, "tok-3f9a2c71") == "<redacted>");
  CHECK(redacted(redactor, "a tok-3f9a2c71 b hunter2hunter2 c tok-3f9a2c71") == "a <redacted> b <redacted> c <redacted>");
  CHECK(redacted(redactor, "Authorization: Bearer tok-3f9a2c71\r") == "Authorization: Bearer <redacted>\r");
  CHECK(redacted(redactor, "url?token=tok-3f9a2c71&x=1") == "url?token=<redacted>&x=1");
}

TEST_CASE("redactor: a line without secrets is left as it is", "[redactor]") {
  const SecretRedactor redactor({"tok-3f9a2c71"});
  CHECK(redacted(redactor, "") == "");
  CHECK(redacted(redactor, "listening on ws://127.0.0.1:18789") == "listening on ws://127.0.0.1:18789");
  CHECK(redacted(redactor, "tok-3f9a2c7") == "tok-3f9a2c7");  // one character short is not the secret
  CHECK(redacted(redactor, "TOK-3F9A2C71") == "TOK-3F9A2C71");  // values are compared exactly
  CHECK(redacted(SecretRedactor(), "tok-3f9a2c71") == "tok-3f9a2c71");
  CHECK(SecretRedactor().empty());
}

TEST_CASE("redactor: values shorter than the minimum length are no secrets", "[redactor]") {
  static_assert(SecretRedactor::min_length == 6);
  const SecretRedactor redactor({"1", "true", "debug", "18789", "abcdef", ""});
  CHECK_FALSE(redactor.empty());
  CHECK(redacted(redactor, "DEBUG=1 verbose=true level=debug port 18789") == "DEBUG=1 verbose=true level=debug port 18789");
  CHECK(redacted(redactor, "key abcdef here") == "key <redacted> here");  // exactly the minimum is one
  CHECK(SecretRedactor({"12345", "short"}).empty());
}

TEST_CASE("redactor: a secret inside a longer one, or overlapping it, leaves nothing behind", "[redactor]") {
  SECTION("contained, in either order of the list") {
    for (const auto& secrets : {std::vector<std::string>{"abcdef", "xxabcdefyy"}, {"xxabcdefyy", "abcdef"}}) {
      const SecretRedactor redactor(secrets);
      CHECK(redacted(redactor, "[xxabcdefyy]") == "[<redacted>]");
      CHECK(redacted(redactor, "[abcdef]") == "[<redacted>]");
    }
  }
  SECTION("overlapping: the union is hidden") {
    const SecretRedactor redactor({"abcdefgh", "efghijkl"});
    CHECK(redacted(redactor, "<abcdefghijkl>") == "<<redacted>>");
  }
  SECTION("adjacent secrets become one placeholder") {
    const SecretRedactor redactor({"abcdefgh", "ijklmnop"});
    CHECK(redacted(redactor, "abcdefghijklmnop") == "<redacted>");
  }
  SECTION("a secret overlapping itself") {
    const SecretRedactor redactor({"aaaaaa"});
    CHECK(redacted(redactor, "x aaaaaaaa y") == "x <redacted> y");
  }
  SECTION("duplicates count once") {
    const SecretRedactor redactor({"same-secret", "same-secret"});
    CHECK(redacted(redactor, "a same-secret b") == "a <redacted> b");
  }
}

TEST_CASE("redactor: secrets next to UTF-8 and inside binary junk", "[redactor]") {
  const SecretRedactor redactor({"p\xc3\xa4sswort!", "tok-3f9a2c71"});
  CHECK(redacted(redactor, "\xe2\x9c\x93 p\xc3\xa4sswort! \xf0\x9f\xa6\x9e") == "\xe2\x9c\x93 <redacted> \xf0\x9f\xa6\x9e");
  CHECK(redacted(redactor, std::string("\xff\x00tok-3f9a2c71\x00", 15)) == std::string("\xff\x00<redacted>\x00", 13));
}
