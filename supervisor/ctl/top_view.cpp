#include "top_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "profile_cells.h"
#include "table.h"

namespace moltbot::ctl {

using nlohmann::json;

namespace {

double figure(const json& profile, const char* key) {
  const auto found = profile.find("resources");
  if (found == profile.end() || !found->is_object() || !(*found)[key].is_number()) return -1;
  return (*found)[key].get<double>();
}

std::string readiness_text(const json& profile) {
  const auto readiness = profile.value("readiness", "unknown");
  if (readiness == "ready") return "yes";
  if (readiness.starts_with("not ready")) return "no";
  if (readiness == "not checked") return "-";
  return "?";
}

// Worst first: what needs a look comes to the top.
int state_rank(const std::string& state) {
  for (int rank = 0;
       const char* name : {"fatal", "backoff", "unhealthy", "starting", "stopping", "stopped", "running"}) {
    if (state == name) return rank;
    ++rank;
  }
  return 7;
}

const char* state_colour(const std::string& state) {
  if (state == "running") return "\033[32m";
  if (state == "fatal") return "\033[31m";
  if (state == "stopped") return "\033[2m";
  return "\033[33m";
}

}  // namespace

std::optional<TopSort> sort_for_key(char key) {
  switch (key) {
    case 'c': return TopSort::cpu;
    case 'm': return TopSort::memory;
    case 'n': return TopSort::name;
    case 'r': return TopSort::restarts;
    case 's': return TopSort::state;
    case 'u': return TopSort::uptime;
    default: return std::nullopt;
  }
}

std::optional<TopSort> sort_for_name(std::string_view name) {
  for (TopSort sort :
       {TopSort::cpu, TopSort::memory, TopSort::name, TopSort::restarts, TopSort::state, TopSort::uptime})
    if (name == sort_name(sort)) return sort;
  return std::nullopt;
}

const char* sort_name(TopSort sort) {
  switch (sort) {
    case TopSort::cpu: return "cpu";
    case TopSort::memory: return "mem";
    case TopSort::name: return "name";
    case TopSort::restarts: return "restarts";
    case TopSort::state: return "state";
    case TopSort::uptime: return "uptime";
  }
  return "cpu";
}

std::string top_table(const json& profiles, TopSort sort, int width, bool colour) {
  std::vector<const json*> rows;
  for (const auto& profile : profiles) rows.push_back(&profile);
  auto name = [](const json* p) { return (*p)["name"].get<std::string>(); };
  // Largest first for figures; ties by name, so rows do not jump between refreshes.
  auto by = [&](auto key) {
    std::stable_sort(rows.begin(), rows.end(), [&](const json* a, const json* b) {
      const auto ka = key(a), kb = key(b);
      return ka != kb ? ka > kb : name(a) < name(b);
    });
  };
  std::sort(rows.begin(), rows.end(), [&](const json* a, const json* b) { return name(a) < name(b); });
  switch (sort) {
    case TopSort::cpu: by([](const json* p) { return figure(*p, "cpu_percent"); }); break;
    case TopSort::memory: by([](const json* p) { return figure(*p, "rss_bytes"); }); break;
    case TopSort::restarts: by([](const json* p) { return (*p)["restarts"].get<int>(); }); break;
    case TopSort::uptime:
      by([](const json* p) { return (*p)["uptime_s"].is_number() ? (*p)["uptime_s"].get<double>() : -1.0; });
      break;
    case TopSort::state: by([](const json* p) { return -state_rank((*p)["state"].get<std::string>()); }); break;
    case TopSort::name: break;
  }
  Table table({"PROFILE", "ROLE", "STATE", "READY", "UPTIME", "RESTARTS", "CPU%", "MEM", "PROCS", "HEALTH"});
  for (const json* row : rows) {
    const auto& profile = *row;
    const auto state = profile["state"].get<std::string>();
    table.add({{profile["name"].get<std::string>()},
               {profile["role"].get<std::string>()},
               {state, state_colour(state)},
               {readiness_text(profile)},
               {uptime_text(profile["uptime_s"])},
               {restarts_text(profile)},
               {cpu_text(profile)},
               {memory_text(profile)},
               {processes_text(profile)},
               {profile.value("health", "unknown")}});
  }
  std::ostringstream out;
  table.print(out, colour, width);
  return out.str();
}

std::string top_header(const json& profiles, TopSort sort, int width) {
  int running = 0;
  double cpu = 0, memory = 0;
  for (const auto& profile : profiles) {
    running += profile["state"] == "running";
    cpu += std::max(0.0, figure(profile, "cpu_percent"));
    memory += std::max(0.0, figure(profile, "rss_bytes"));
  }
  const json total{{"resources", {{"rss_bytes", memory}, {"cpu_percent", cpu}}}};
  auto line = fmt::format("{} profiles, {} running, CPU {}%, MEM {}; sort: {} (c m n r s u), q quits", profiles.size(),
                          running, cpu_text(total), memory_text(total), sort_name(sort));
  if (width > 0 && line.size() > static_cast<std::size_t>(width)) line.resize(static_cast<std::size_t>(width));
  return line + '\n';
}

}  // namespace moltbot::ctl
