#pragma once
// Phrases shared by the validator's rules, so every message names ports, profiles and the
// rescue rule the same way.
#include <string>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::wording {

// How the gateway uses a port, from PortUse::name (see manifest.h).
enum class PortKind { named, cdp_range, pinned };
PortKind kind_of(const PortUse& use);

// "gateway port 18809", "CDP range 18800..18899", "CDP port 19020 of browser profile work".
std::string describe(const std::string& use_name, const PortRange& range);
// The same for the port the gateway will really occupy, naming a silent fallback:
// "canvas host port 18793 (silent fallback from 65537)".
std::string describe(const PortUse& use);

// `profile "rescue": `
std::string profile_prefix(const Profile& profile);

// "; a rescue profile must share nothing with other profiles" when either side is a rescue.
std::string rescue_clause(const Profile& a, const Profile& b);

// The note that points at the other side of a conflict.
RelatedNote defined_here(const Profile& other, const SourceLocation& where);

// An error about `profile`, located at `where`, with a note at the other profile.
Diagnostic conflict(std::string code, const Profile& profile, const SourceLocation& where,
                    std::string message, const Profile& other, const SourceLocation& other_where);

}  // namespace moltbot::config::wording
