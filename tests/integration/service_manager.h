#pragma once
// systemd as a supervisor under `Type=notify` with a file-descriptor store sees it, emulated for
// tests: NOTIFY_SOCKET for every supervisor it starts, and the store's descriptors passed to the
// next one as systemd passes them when it starts the service again (LISTEN_FDS, LISTEN_FDNAMES,
// LISTEN_PID).
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "notify_listener.h"
#include "supervisor_fixture.h"

namespace moltbot::test {

class EmulatedServiceManager {
 public:
  explicit EmulatedServiceManager(SupervisorFixture& fleet) : fleet_(fleet) {}

  // `launch` as the service manager starts its service: with what the store holds now, but the
  // names in `withheld` (as if the store had lost them). The descriptors stay open here until the
  // next launch, for the supervisor to be started with them.
  SupervisorLaunch launch(const std::set<std::string>& withheld = {}, SupervisorLaunch launch = {});
  // A supervisor started with launch().
  ChildProcess& start(const std::set<std::string>& withheld = {}, SupervisorLaunch launch = {}) {
    return fleet_.start_supervisor(this->launch(withheld, std::move(launch)));
  }

  // Waits until the store holds exactly `names` (in any order).
  bool wait_stored(const std::set<std::string>& names, std::chrono::milliseconds timeout = state_deadline);
  std::set<std::string> stored_names() const;

  NotifyListener& listener() { return listener_; }

 private:
  SupervisorFixture& fleet_;
  NotifyListener listener_{fleet_.dir.path() / "notify.sock"};
  std::unique_ptr<StoredFds> passed_;
};

}  // namespace moltbot::test
