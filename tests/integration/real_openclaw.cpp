#define CATCH_CONFIG_RUNNER
#include "real_openclaw.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "moltbot/test/wait_until.h"

namespace moltbot::test::real {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt
}  // namespace

std::optional<fs::path> find_openclaw() {
  std::vector<fs::path> candidates;
  if (const char* explicit_bin = std::getenv("OPENCLAW_BIN")) candidates.emplace_back(explicit_bin);
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (!dir.empty()) candidates.push_back(fs::path(dir) / "openclaw");
  }
  candidates.emplace_back("/opt/openclaw/bin/openclaw");
  for (const auto& candidate : candidates)
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  return std::nullopt;
}

const fs::path& openclaw_bin() {
  static const fs::path bin = *find_openclaw();
  return bin;
}

std::vector<ProcInfo> all_processes() {
  std::vector<ProcInfo> processes;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(close_paren + 2));
    char state = 0;
    ProcInfo info;
    info.pid = std::stoi(name);
    fields >> state >> info.ppid >> info.pgid;
    processes.push_back(info);
  }
  return processes;
}

std::vector<ProcInfo> descendants_of(pid_t root) {
  const auto processes = all_processes();
  std::vector<ProcInfo> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& process : processes) {
      if (process.ppid != parent) continue;
      found.push_back(process);
      frontier.push_back(process.pid);
    }
  }
  return found;
}

std::string cmdline_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string random_token() {
  std::mt19937_64 random(std::random_device{}());
  std::ostringstream text;
  text << std::hex << random() << random();
  return text.str();
}

Subreaper::Subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

Subreaper::~Subreaper() {
  wait_until(
      [] {
        bool adopted = false;
        for (const auto& process : all_processes()) {
          if (process.ppid != ::getpid()) continue;
          adopted = true;
          ::kill(process.pid, SIGKILL);
          ::waitpid(process.pid, nullptr, 0);
        }
        return !adopted;
      },
      10s, 50ms);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int run_tests_if_installed(int argc, char** argv) {
  if (!find_openclaw()) {
    std::printf(
        "SKIPPED: the real OpenClaw gateway is not installed (no OPENCLAW_BIN, no openclaw on PATH, no "
        "/opt/openclaw/bin/openclaw). Install it with scripts/install-openclaw.sh to run this test.\n");
    return skip_status;
  }
  std::printf("using %s\n", openclaw_bin().c_str());
  return Catch::Session().run(argc, argv);
}

}  // namespace moltbot::test::real

int main(int argc, char** argv) { return moltbot::test::real::run_tests_if_installed(argc, argv); }
