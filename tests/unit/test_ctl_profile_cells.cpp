// How `status` and `top` show a profile's figures, and a table kept to a terminal's width.
#include <catch2/catch.hpp>
#include <sstream>

#include "profile_cells.h"
#include "table.h"

using namespace moltbot::ctl;
using nlohmann::json;

TEST_CASE("memory, CPU and processes as a person reads them") {
  const json measured{{"restarts", 2},
                      {"resources",
                       {{"rss_bytes", 746586112},
                        {"cpu_seconds", 12.5},
                        {"processes", 4},
                        {"fds", 31},
                        {"cpu_percent", 3.25},
                        {"oom_kills", nullptr}}}};
  CHECK(memory_text(measured) == "712M");
  CHECK(cpu_text(measured) == "3.2");
  CHECK(processes_text(measured) == "4");
  json big = measured;
  big["resources"]["rss_bytes"] = 1.5 * 1024 * 1024 * 1024;
  CHECK(memory_text(big) == "1.5G");
  big["resources"]["rss_bytes"] = 200 * 1024;
  CHECK(memory_text(big) == "200K");

  const json unmeasured{{"restarts", 0}, {"resources", nullptr}};
  CHECK(memory_text(unmeasured) == "-");
  CHECK(cpu_text(unmeasured) == "-");
  CHECK(processes_text(unmeasured) == "-");
  json stopped = measured;
  stopped["resources"]["cpu_percent"] = nullptr;
  CHECK(cpu_text(stopped) == "-");
}

TEST_CASE("a table on a narrow terminal is cut at its width, never wrapped") {
  Table table({"NAME", "STATE", "LAST EXIT"});
  table.add({{"main"}, {"running", "\033[32m"}, {"health check failed 3 times: connection refused"}});
  std::ostringstream wide, narrow, coloured;
  table.print(wide, false);
  table.print(narrow, false, 30);
  table.print(coloured, true, 30);
  CHECK(wide.str() ==
        "NAME  STATE    LAST EXIT\n"
        "main  running  health check failed 3 times: connection refused\n");
  CHECK(narrow.str() ==
        "NAME  STATE    LAST EXIT\n"
        "main  running  health check f~\n");
  // Colour codes take no columns.
  CHECK(coloured.str() ==
        "\033[1mNAME\033[0m  \033[1mSTATE\033[0m    \033[1mLAST EXIT\033[0m\n"
        "main  \033[32mrunning\033[0m  health check f~\n");
}
