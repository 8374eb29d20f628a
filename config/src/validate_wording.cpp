#include "validate_wording.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

namespace moltbot::config::wording {

PortKind kind_of(const PortUse& use) {
  static constexpr std::array<std::string_view, 5> named = {
      "gateway", "bridge", "browser control", "extension relay", "canvas host"};
  if (use.name == "CDP range") return PortKind::cdp_range;
  for (std::string_view name : named)
    if (use.name == name) return PortKind::named;
  return PortKind::pinned;
}

std::string describe(const std::string& use_name, const PortRange& range) {
  if (range.first != range.last) return fmt::format("{} {}..{}", use_name, range.first, range.last);
  // The number goes after the noun: "CDP port of browser profile work" -> "CDP port 19020 of ...".
  const auto of = use_name.find(" of ");
  std::string noun = use_name.substr(0, of);
  const std::string rest = of == std::string::npos ? std::string() : use_name.substr(of);
  if (noun.find("port") == std::string::npos) noun += " port";
  return fmt::format("{} {}{}", noun, range.first, rest);
}

std::string describe(const PortUse& use) {
  std::string text = describe(use.name, use.range);
  if (use.fell_back) {
    const PortRange& derived = use.derived;
    text += derived.first == derived.last
                ? fmt::format(" (silent fallback from {})", derived.first)
                : fmt::format(" (silent fallback from {}..{})", derived.first, derived.last);
  }
  return text;
}

std::string profile_prefix(const Profile& profile) {
  return fmt::format("profile \"{}\": ", profile.name);
}

std::optional<RelatedNote> rescue_note(const Profile& a, const Profile& b) {
  const Profile* rescue = a.role == Role::rescue ? &a : b.role == Role::rescue ? &b : nullptr;
  if (!rescue) return std::nullopt;
  return RelatedNote{
      fmt::format("profile \"{}\" is a rescue profile: it must share nothing with other profiles", rescue->name),
      rescue->where};
}

RelatedNote defined_here(const Profile& other, const SourceLocation& where) {
  return RelatedNote{fmt::format("profile \"{}\" is defined here", other.name), where};
}

Diagnostic conflict(std::string code, const Profile& profile, const SourceLocation& where,
                    std::string message, const Profile& other, const SourceLocation& other_where) {
  Diagnostic diagnostic;
  diagnostic.code = std::move(code);
  diagnostic.message = profile_prefix(profile) + std::move(message);
  diagnostic.where = where;
  diagnostic.profile = profile.name;
  diagnostic.related.push_back(defined_here(other, other_where));
  if (auto note = rescue_note(profile, other)) diagnostic.related.push_back(std::move(*note));
  return diagnostic;
}

}  // namespace moltbot::config::wording
