// Validation speed: generated fleets of 100, 1,000 and 10,000 profiles without conflicts and one
// with many, timed through load + validate (from manifest files) and validate alone. Prints a
// markdown table of medians. Target: 10,000 profiles validated in under 50 ms.
//
// The loader accepts at most 1,000 profiles per manifest (config/src/field_reader.h), so larger
// fleets are written as several manifests of 1,000 whose profiles are validated together.
//
// usage: validate_bench [RUNS]   (default 7 runs per measurement)
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "moltbot/config/load.h"
#include "moltbot/config/validate.h"

namespace {

using namespace moltbot::config;
namespace fs = std::filesystem;

constexpr int profiles_per_manifest = 1000;

struct Fleet {
  std::string label;
  int profiles;
  std::vector<std::string> manifests;  // YAML texts
};

// `profile_yaml(i)` for every profile, split into manifests of at most profiles_per_manifest.
Fleet generate(std::string label, int profiles, const std::function<std::string(int)>& profile_yaml) {
  Fleet fleet{std::move(label), profiles, {}};
  for (int i = 0; i < profiles; ++i) {
    if (i % profiles_per_manifest == 0) fleet.manifests.push_back("version: 1\nprofiles:\n");
    fleet.manifests.back() += profile_yaml(i);
  }
  return fleet;
}

// Six ports per profile (five named ports and a one-port CDP range) is what lets 10,000 gateways
// fit below 65536 without sharing any port.
Fleet disjoint_fleet(int profiles) {
  return generate(fmt::format("{} profiles, no conflicts", profiles), profiles, [](int i) {
    const int port = 1024 + 6 * i;
    return fmt::format("  p{}:\n    port: {}\n    browser:\n      cdp_port_range: [{}, {}]\n", i, port, port + 5,
                       port + 5);
  });
}

// Default port sets 20 apart: every CDP range swallows the next five profiles' ports.
Fleet crowded_fleet(int profiles) {
  return generate(fmt::format("{} profiles, bases 20 apart", profiles), profiles,
                  [](int i) { return fmt::format("  p{}:\n    port: {}\n", i, 2000 + 20 * i); });
}

// Wall-clock and this thread's CPU time: on a shared machine the CPU time is what the code
// costs, the wall time what a user waits.
struct Timing {
  double wall_ms;
  double cpu_ms;
};

double thread_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Timing median_ms(int runs, const std::function<void()>& work) {
  std::vector<double> wall, cpu;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_ms();
    work();
    cpu.push_back(thread_cpu_ms() - cpu_start);
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return {median(wall), median(cpu)};
}

struct TemporaryDirectory {
  fs::path path;
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "moltbot-validate-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Loads every file into one manifest; nullopt (with a message) when the loader objects.
std::optional<Manifest> load_all(const std::vector<fs::path>& files, const moltbot::Environment& env) {
  std::optional<Manifest> fleet;
  for (const fs::path& file : files) {
    LoadResult loaded = load_manifest(file.string(), env);
    if (!loaded.manifest || has_errors(loaded.diagnostics)) {
      std::fprintf(stderr, "validate_bench: %s does not load: %s\n", file.c_str(),
                   loaded.file_error  ? loaded.file_error->c_str()
                   : loaded.diagnostics.empty() ? "no manifest"
                                                : loaded.diagnostics.front().message.c_str());
      return std::nullopt;
    }
    if (!fleet) {
      fleet = std::move(loaded.manifest);
    } else {
      auto& profiles = loaded.manifest->profiles;
      fleet->profiles.insert(fleet->profiles.end(), std::make_move_iterator(profiles.begin()),
                             std::make_move_iterator(profiles.end()));
    }
  }
  return fleet;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  TemporaryDirectory temporary;
  const moltbot::Environment env = {{"HOME", (temporary.path / "home").string()}};

  const std::vector<Fleet> fleets = {disjoint_fleet(100), disjoint_fleet(1000), disjoint_fleet(10000),
                                     crowded_fleet(1000)};
  std::printf("| fleet | manifests | diagnostics | load + validate, wall (CPU) ms | validate, wall (CPU) ms |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  Timing validate_10k{-1, -1};
  for (std::size_t f = 0; f < fleets.size(); ++f) {
    const Fleet& fleet = fleets[f];
    std::vector<fs::path> files;
    std::size_t bytes = 0;
    for (std::size_t m = 0; m < fleet.manifests.size(); ++m) {
      files.push_back(temporary.path / fmt::format("fleet-{}-{}.yaml", f, m));
      std::ofstream(files.back()) << fleet.manifests[m];
      bytes += fleet.manifests[m].size();
    }

    const std::optional<Manifest> manifest = load_all(files, env);
    if (!manifest) return 1;
    const std::size_t diagnostics = validate(*manifest).size();

    const Timing load_and_validate = median_ms(runs, [&] {
      if (validate(*load_all(files, env)).size() != diagnostics) std::abort();
    });
    const Timing validate_only = median_ms(runs, [&] {
      if (validate(*manifest).size() != diagnostics) std::abort();
    });
    if (fleet.profiles == 10000 && diagnostics == 0) validate_10k = validate_only;
    std::printf("| %s | %zu (%zu KiB) | %zu | %.2f (%.2f) | %.2f (%.2f) |\n", fleet.label.c_str(), files.size(),
                bytes / 1024, diagnostics, load_and_validate.wall_ms, load_and_validate.cpu_ms, validate_only.wall_ms,
                validate_only.cpu_ms);
  }
  // CPU time decides: wall time on a shared machine also counts other processes' turns.
  const bool met = validate_10k.cpu_ms >= 0 && validate_10k.cpu_ms < 50.0;
  std::printf("\nmedians of %d runs; target: 10,000 profiles validated in under 50 ms: %s (%.2f ms CPU, %.2f ms wall)\n",
              runs, met ? "met" : "MISSED", validate_10k.cpu_ms, validate_10k.wall_ms);
  return met ? 0 : 1;
}
