#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/common/env_file.h"
#include "moltbot/test/temp_dir.h"

using moltbot::parse_env_file;

TEST_CASE("env files: assignments, comments, blank lines, export", "[env_file]") {
  const auto file = parse_env_file(
      "# secrets for rescue\n"
      "\n"
      "TOKEN=abc123\n"
      "  export   REGION=eu-west \n"
      "SPACED = value with spaces  \n"
      "EMPTY=\n"
      "HASH=abc#def\n"
      "WIN=crlf\r\n",
      "rescue.env");
  REQUIRE_FALSE(file.error);
  const auto values = file.values();
  CHECK(values.at("TOKEN") == "abc123");
  CHECK(values.at("REGION") == "eu-west");
  CHECK(values.at("SPACED") == "value with spaces");
  CHECK(values.at("EMPTY") == "");
  CHECK(values.at("HASH") == "abc#def");
  CHECK(values.at("WIN") == "crlf");
  REQUIRE(file.entries.size() == 6);
  CHECK(file.entries[0].line == 3);
  CHECK(file.entries[1].line == 4);
}

TEST_CASE("env files: quoted values", "[env_file]") {
  const auto file = parse_env_file(
      "SINGLE='literal $HOME \\n \"x\"'\n"
      "DOUBLE=\"a \\\"b\\\" \\\\ \\n end\"  # trailing comment\n"
      "KEEP=\"\\q\"\n"
      "EMPTY_QUOTES=''\n",
      "x.env");
  REQUIRE_FALSE(file.error);
  const auto values = file.values();
  CHECK(values.at("SINGLE") == "literal $HOME \\n \"x\"");
  CHECK(values.at("DOUBLE") == "a \"b\" \\ \n end");
  CHECK(values.at("KEEP") == "\\q");
  CHECK(values.at("EMPTY_QUOTES") == "");
}

TEST_CASE("env files: a later line wins", "[env_file]") {
  const auto file = parse_env_file("A=1\nA=2\n", "x.env");
  CHECK(file.values().at("A") == "2");
}

TEST_CASE("env file errors name the file and line", "[env_file]") {
  CHECK(parse_env_file("A=1\nnot an assignment\n", "/etc/moltbot/rescue.env").error ==
        "/etc/moltbot/rescue.env:2: expected NAME=VALUE");
  CHECK(parse_env_file("\n\n1BAD=x\n", "f.env").error ==
        "f.env:3: bad variable name \"1BAD\" (letters, digits and _, not starting with a digit)");
  CHECK(parse_env_file("BAD-NAME=x\n", "f.env").error ==
        "f.env:1: bad variable name \"BAD-NAME\" (letters, digits and _, not starting with a digit)");
  CHECK(parse_env_file("A='open\n", "f.env").error == "f.env:1: A: unterminated single-quoted value");
  CHECK(parse_env_file("A=\"open\n", "f.env").error == "f.env:1: A: unterminated double-quoted value");
  CHECK(parse_env_file("A=\"x\" y\n", "f.env").error == "f.env:1: A: unexpected text after the closing quote");
  CHECK(parse_env_file("=x\n", "f.env").error ==
        "f.env:1: bad variable name \"\" (letters, digits and _, not starting with a digit)");
  CHECK(parse_env_file(std::string("A=1\nB=\0x\n", 9), "f.env").error == "f.env: not a text file (NUL byte at line 2)");
}

TEST_CASE("reading env files", "[env_file]") {
  moltbot::test::TempDir dir("moltbot-envfile");
  const auto path = dir.write("rescue.env", "TOKEN=t\n");
  const auto file = moltbot::read_env_file(path);
  REQUIRE_FALSE(file.error);
  CHECK(file.values().at("TOKEN") == "t");

  CHECK(moltbot::read_env_file(dir.path() / "missing.env").error ==
        (dir.path() / "missing.env").string() + ": no such file");
  CHECK(moltbot::read_env_file(dir.path()).error == dir.path().string() + ": is a directory");
}
