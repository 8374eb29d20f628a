#include "port_pins.h"

namespace moltbot::config::loader {

BrowserProfilePins* PortPins::find_browser_profile(const std::string& name) {
  for (auto& browser : browser_profiles)
    if (browser.name == name) return &browser;
  return nullptr;
}

}  // namespace moltbot::config::loader
