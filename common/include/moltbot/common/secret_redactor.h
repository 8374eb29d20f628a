#pragma once
// Secrets out of what the supervisor writes and says: every occurrence of a secret value in a
// line becomes `<redacted>`. Every child output line passes through it, so a line that holds no
// secret costs a few substring searches and no allocation.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace moltbot {

class SecretRedactor {
 public:
  static constexpr std::string_view placeholder = "<redacted>";
  // Shorter values are left alone: env files also hold flags, levels and numbers ("1", "true",
  // "debug", "18789"), and replacing every occurrence of those would make the logs unreadable.
  static constexpr std::size_t min_length = 6;

  SecretRedactor() = default;
  // Values shorter than min_length are dropped, duplicates merged.
  explicit SecretRedactor(std::vector<std::string> secrets);

  // Replaces every stretch of `text` covered by occurrences of secrets, overlapping or adjacent
  // ones together, with one placeholder: a secret inside a longer one, or two that overlap,
  // leave no piece of either behind.
  void redact(std::string& text) const;

  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace moltbot
