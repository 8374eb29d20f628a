#include "service_manager.h"

#include "moltbot/test/wait_until.h"

namespace moltbot::test {

SupervisorLaunch EmulatedServiceManager::launch(const std::set<std::string>& withheld, SupervisorLaunch launch) {
  launch.env["NOTIFY_SOCKET"] = listener_.path().string();
  passed_ = std::make_unique<StoredFds>(listener_.stored());
  const auto& stored = *passed_;
  std::string names;
  for (std::size_t i = 0; i < stored.names.size(); ++i) {
    if (withheld.contains(stored.names[i])) continue;
    names += (names.empty() ? "" : ":") + stored.names[i];
    launch.passed_fds.push_back(stored.fds[i]);
  }
  if (!launch.passed_fds.empty()) {
    launch.env["LISTEN_FDS"] = std::to_string(launch.passed_fds.size());
    launch.env["LISTEN_FDNAMES"] = names;
    launch.own_pid_variables.push_back("LISTEN_PID");
  }
  return launch;
}

std::set<std::string> EmulatedServiceManager::stored_names() const {
  const auto names = listener_.stored_names();
  return {names.begin(), names.end()};
}

bool EmulatedServiceManager::wait_stored(const std::set<std::string>& names, std::chrono::milliseconds timeout) {
  return wait_until([&] { return stored_names() == names; }, timeout, std::chrono::milliseconds(20));
}

}  // namespace moltbot::test
