// cdp-url-duplicate: two gateways must never drive the same browser through one cdpUrl. Loopback
// URLs are also compared by port in port-overlap; this rule catches remote ones too.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

// "http://127.0.0.1:9222/" and "http://127.0.0.1:9222" name the same endpoint.
std::string comparable(std::string url) {
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

void check_cdp_url_duplicates(const Manifest& manifest, Diagnostics& out) {
  std::map<std::string, std::vector<std::size_t>> holders;  // url -> profiles, manifest order
  for (std::size_t p = 0; p < manifest.profiles.size(); ++p) {
    const Profile& profile = manifest.profiles[p];
    std::set<std::string> seen_here;
    for (const std::string& url : profile.cdp_urls) {
      const std::string key = comparable(url);
      if (!seen_here.insert(key).second) continue;
      auto& earlier = holders[key];
      for (std::size_t e : earlier) {
        const Profile& other = manifest.profiles[e];
        out.push_back(wording::conflict("cdp-url-duplicate", profile, profile.location_of("browser"),
                                        fmt::format("cdpUrl {} is also pinned by profile \"{}\"", url,
                                                    other.name),
                                        other, other.location_of("browser")));
      }
      earlier.push_back(p);
    }
  }
}

}  // namespace moltbot::config::rules
