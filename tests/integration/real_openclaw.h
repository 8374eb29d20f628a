#pragma once
// What the opt-in tests with the real OpenClaw gateway share: finding it, cleaning up after it
// (it leaves helpers in their own sessions), tokens, and a main() that skips (exit 77, which
// ctest reports as skipped) when it is not installed (scripts/install-openclaw.sh installs it).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::test::real {

// Observed about 5.5 s on a quiet machine, 50-70 s here with two starting at once on 2 busy cores.
inline constexpr std::chrono::seconds healthy_deadline{180};

// OPENCLAW_BIN, else `openclaw` on PATH, else the install script's default prefix.
std::optional<std::filesystem::path> find_openclaw();
const std::filesystem::path& openclaw_bin();

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
};
std::vector<ProcInfo> all_processes();
std::vector<ProcInfo> descendants_of(pid_t root);
std::string cmdline_of(pid_t pid);
std::string random_token();

// Makes this process the subreaper of everything the test starts. Helpers in their own process
// groups outlive a kill of their gateway's group and are adopted here; at scope exit, passed or
// failed, they are ended and reaped. Declare it before the gateways so it goes last.
class Subreaper {
 public:
  Subreaper();
  ~Subreaper();
  Subreaper(const Subreaper&) = delete;
  Subreaper& operator=(const Subreaper&) = delete;
};

// Runs the Catch session when openclaw is installed; otherwise prints why and returns 77.
int run_tests_if_installed(int argc, char** argv);

}  // namespace moltbot::test::real
