#pragma once
// Phrases shared by the validator's rules, so every message names ports, profiles and the
// rescue rule the same way.
#include <optional>
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

// A second note, at the rescue profile, when either side of a conflict is a rescue: the error line
// itself keeps the spec's exact wording.
std::optional<RelatedNote> rescue_note(const Profile& a, const Profile& b);

// The note that points at the other side of a conflict.
RelatedNote defined_here(const Profile& other, const SourceLocation& where);

// An error about `profile`, located at `where`, with a note at the other profile.
Diagnostic conflict(std::string code, const Profile& profile, const SourceLocation& where,
                    std::string message, const Profile& other, const SourceLocation& other_where);

}  // namespace moltbot::config::wording
