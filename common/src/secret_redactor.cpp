#include "moltbot/common/secret_redactor.h"

#include <algorithm>
#include <utility>

namespace moltbot {

SecretRedactor::SecretRedactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
  std::erase_if(secrets_, [](const std::string& secret) { return secret.size() < min_length; });
  std::sort(secrets_.begin(), secrets_.end());
  secrets_.erase(std::unique(secrets_.begin(), secrets_.end()), secrets_.end());
}

void SecretRedactor::redact(std::string& text) const {
  const std::string_view view(text);
  auto found = [&](const std::string& secret) { return view.find(secret) != std::string_view::npos; };
  if (std::none_of(secrets_.begin(), secrets_.end(), found)) return;

  // [begin, end) of every occurrence, also overlapping ones of the same secret ("aaaaaaa").
  std::vector<std::pair<std::size_t, std::size_t>> covered;
  for (const auto& secret : secrets_)
    for (auto at = view.find(secret); at != std::string_view::npos; at = view.find(secret, at + 1))
      covered.emplace_back(at, at + secret.size());
  std::sort(covered.begin(), covered.end());

  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (std::size_t i = 0; i < covered.size();) {
    auto [begin, end] = covered[i];
    for (++i; i < covered.size() && covered[i].first <= end; ++i) end = std::max(end, covered[i].second);
    out.append(view.substr(copied, begin - copied));
    out.append(placeholder);
    copied = end;
  }
  out.append(view.substr(copied));
  text = std::move(out);
}

}  // namespace moltbot
