#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "moltbot/common/text_file.h"
#include "moltbot/test/temp_dir.h"

using moltbot::non_text_reason;
using moltbot::read_small_file;

TEST_CASE("small files are read whole", "[text_file]") {
  moltbot::test::TempDir dir("moltbot-textfile");
  const auto path = dir.write("a.txt", "hello\n");
  const auto file = read_small_file(path, 100);
  REQUIRE(file.text);
  CHECK(*file.text == "hello\n");
  CHECK(read_small_file(dir.write("empty", ""), 100).text == "");
}

TEST_CASE("files that cannot be read say why", "[text_file]") {
  moltbot::test::TempDir dir("moltbot-textfile");
  CHECK(read_small_file(dir.path() / "missing", 100).error == "no such file");
  CHECK(read_small_file(dir.path(), 100).error == "is a directory");
  CHECK(read_small_file(dir.write("file", "x") / "below", 100).error == "a parent of it is not a directory");

  const auto fifo = dir.path() / "fifo";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(read_small_file(fifo, 100).error == "is not a regular file");  // and does not block
}

TEST_CASE("a file over the limit is refused from its size alone", "[text_file]") {
  moltbot::test::TempDir dir("moltbot-textfile");
  const auto path = dir.write("big", "");
  std::filesystem::resize_file(path, 50 * 1024 * 1024);  // sparse: nothing to read in reality
  CHECK(read_small_file(path, 4 * 1024 * 1024).error == "is larger than 4 MiB (52428800 bytes)");
  CHECK(read_small_file(dir.write("five", "12345"), 4).error == "is larger than 4 bytes (5 bytes)");
}

TEST_CASE("unreadable files are reported", "[text_file]") {
  if (geteuid() == 0) {
    WARN("skipped: running as root, permissions do not stop reading");
    return;
  }
  moltbot::test::TempDir dir("moltbot-textfile");
  const auto path = dir.write("secret", "x");
  std::filesystem::permissions(path, std::filesystem::perms::none);
  CHECK(read_small_file(path, 100).error == "permission denied");
}

TEST_CASE("text must be UTF-8 without NUL bytes", "[text_file]") {
  CHECK_FALSE(non_text_reason("plain ascii\n"));
  CHECK_FALSE(
      non_text_reason("gr\xC3\xBC\xC3\x9F"
                      "e \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK(non_text_reason(std::string("a\nb\0c", 5)) == "NUL byte at line 2");
  CHECK(non_text_reason("a\n\n\xFF") == "invalid UTF-8 at line 3");
  CHECK(non_text_reason("\xC3") == "invalid UTF-8 at line 1");              // truncated
  CHECK(non_text_reason("\xC0\xAF") == "invalid UTF-8 at line 1");          // overlong
  CHECK(non_text_reason("\xED\xA0\x80") == "invalid UTF-8 at line 1");      // surrogate
  CHECK(non_text_reason("\xF4\x90\x80\x80") == "invalid UTF-8 at line 1");  // past U+10FFFF
}

TEST_CASE("sizes are described for messages", "[text_file]") {
  CHECK(moltbot::describe_size(4 * 1024 * 1024) == "4 MiB");
  CHECK(moltbot::describe_size(512 * 1024) == "512 KiB");
  CHECK(moltbot::describe_size(100) == "100 bytes");
}
