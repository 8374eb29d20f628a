#include "moltbot/doctor/gateway_users.h"

#include <fmt/format.h>

#include "moltbot/config/run_as.h"

namespace moltbot::doctor {

CheckItem check_gateway_users(const config::Manifest& manifest, uid_t supervisor_uid) {
  CheckItem item;
  item.check = "users";
  item.title = "users the gateways run as";
  Json users = Json::object();
  const Account supervisor = own_account();
  for (const config::Profile& profile : manifest.profiles)
    users[profile.name] = config::gateway_account(profile, supervisor).user;
  for (const config::Diagnostic& warning : config::root_gateway_warnings(manifest, supervisor_uid)) {
    Finding finding;
    finding.severity = Severity::warning;
    finding.code = "gateway-runs-as-root";
    finding.message = fmt::format("the gateway of profile \"{}\" would run as root", warning.profile);
    finding.fix = fmt::format("set `user:` for it (in defaults or the profile; the .deb creates the system user "
                              "\"moltbot\"), see `moltbot-supervisord check` for the line");
    finding.details = {{"profile", warning.profile}};
    item.findings.push_back(std::move(finding));
  }
  const std::size_t as_root = item.findings.size();
  item.summary = as_root == 0 ? fmt::format("no gateway runs as root")
                              : fmt::format("{} of {} gateways would run as root", as_root, manifest.profiles.size());
  item.details = {{"users", std::move(users)}};
  return item;
}

}  // namespace moltbot::doctor
