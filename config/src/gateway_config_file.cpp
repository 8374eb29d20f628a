#include "gateway_config_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "moltbot/common/profile_defaults.h"
#include "moltbot/common/text_file.h"

namespace moltbot::config::loader {
namespace {

using json = nlohmann::json;
using KeyPath = std::vector<std::string>;

// The deepest key PinExtractor reads: channels.<channel>.accounts.<account>.botToken.
constexpr std::size_t max_read_depth = 5;

// Byte offsets to 1-based line and column.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  std::pair<int, int> at(std::size_t offset) const {
    const auto next = std::upper_bound(starts_.begin(), starts_.end(), offset);
    const auto line = static_cast<std::size_t>(next - starts_.begin());
    return {static_cast<int>(line), static_cast<int>(offset - starts_[line - 1] + 1)};
  }

 private:
  std::vector<std::size_t> starts_;
};

// Walks the text for nlohmann's lexer and remembers how far it has read, so SAX events can be
// placed in the file.
class TrackingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  TrackingIterator(const char* position, const char** furthest) : position_(position), furthest_(furthest) {}
  reference operator*() const { return *position_; }
  TrackingIterator& operator++() {
    *furthest_ = ++position_;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const TrackingIterator& other) const { return position_ == other.position_; }

 private:
  const char* position_;
  const char** furthest_;
};

// Index of the opening quote of the string whose closing quote ends just before `end`.
std::size_t opening_quote(std::string_view text, std::size_t end) {
  for (std::size_t i = end >= 2 ? end - 2 : 0; i > 0; --i) {
    if (text[i] != '"') continue;
    std::size_t backslashes = 0;
    while (i > backslashes && text[i - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return 0;
}

// First pass: where every key is, and the first syntax error. The values come from a DOM parse
// afterwards; nlohmann's DOM keeps no positions.
class KeyLocator final : public json::json_sax_t {
 public:
  KeyLocator(std::string_view text, const std::string& file, const char* const* furthest)
      : text_(text), lines_(text), file_(file), furthest_(furthest) {}

  const std::map<KeyPath, SourceLocation>& keys() const { return keys_; }
  const std::optional<ConfigProblem>& syntax_error() const { return syntax_error_; }

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    path_.emplace_back();
    return true;
  }
  bool key(string_t& name) override {
    path_.back() = name;
    // Deeper keys are never read; keeping every path of a deeply nested file would cost time
    // and memory quadratic in its depth (60 KB of {"a":{"a":... took 18 s and 1.5 GB).
    if (path_.size() > max_read_depth) return true;
    const auto end = static_cast<std::size_t>(*furthest_ - text_.data());
    keys_[path_] = location(opening_quote(text_, end));
    return true;
  }
  bool end_object() override {
    path_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    path_.emplace_back("[]");
    return true;
  }
  bool end_array() override {
    path_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const json::exception& error) override {
    std::string message = error.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ... ; last read: '...'"
    // keeps only the middle: the position goes into the location, and the last read text may
    // be part of a secret.
    if (auto colon = message.find(": "); colon != std::string::npos) message.erase(0, colon + 2);
    if (auto last_read = message.find("; last read:"); last_read != std::string::npos) message.erase(last_read);
    syntax_error_ = ConfigProblem{"not valid JSON: " + message, location(position > 0 ? position - 1 : 0)};
    return false;
  }

 private:
  SourceLocation location(std::size_t offset) const {
    const auto [line, column] = lines_.at(offset);
    return SourceLocation{file_, line, column};
  }

  std::string_view text_;
  LineIndex lines_;
  const std::string& file_;
  const char* const* furthest_;
  KeyPath path_;
  std::map<KeyPath, SourceLocation> keys_;
  std::optional<ConfigProblem> syntax_error_;
};

std::string dotted(const KeyPath& path) {
  std::string out;
  for (const auto& part : path) out += (out.empty() ? "" : ".") + part;
  return out;
}

// Reads the pinned values out of the parsed document.
class PinExtractor {
 public:
  PinExtractor(const json& root, const std::map<KeyPath, SourceLocation>& keys, const std::string& file,
               GatewayConfigFile& out)
      : root_(root), keys_(keys), file_(file), out_(out) {}

  void extract() {
    if (!root_.is_object()) {
      problem({}, "the top level must be a JSON object");
      return;
    }
    out_.gateway_port = port({"gateway", "port"});
    const json* gateway_port = at({"gateway", "port"});
    out_.lacks_gateway_port = !gateway_port || gateway_port->is_null();
    out_.ports.browser_control = port({"browser", "controlPort"});
    out_.ports.canvas = port({"canvasHost", "port"});
    if (auto start = port({"browser", "cdpPortRangeStart"}))
      out_.ports.cdp_range = Pinned<PortRange>{cdp_range_from(start->value), start->where};
    browser_profiles();
    if (auto workspace = non_empty_string({"agents", "defaults", "workspace"})) out_.workspace = workspace;
    channels();
  }

 private:
  SourceLocation where(const KeyPath& path) const {
    auto found = keys_.find(path);
    return found == keys_.end() ? SourceLocation{file_, 0, 0} : found->second;
  }

  void problem(const KeyPath& path, std::string message) {
    out_.problems.push_back(ConfigProblem{std::move(message), where(path)});
  }

  const json* at(const KeyPath& path) const {
    const json* node = &root_;
    for (const auto& key : path) {
      if (!node->is_object()) return nullptr;
      auto found = node->find(key);
      if (found == node->end()) return nullptr;
      node = &*found;
    }
    return node;
  }

  const json* object_at(const KeyPath& path) {
    const json* node = at(path);
    if (!node || node->is_null()) return nullptr;
    if (!node->is_object()) {
      problem(path, fmt::format("{} must be an object", dotted(path)));
      return nullptr;
    }
    return node;
  }

  std::optional<Pinned<int>> port(const KeyPath& path) {
    const json* node = at(path);
    if (!node || node->is_null()) return std::nullopt;
    if (node->is_number_integer()) {
      const auto value = node->get<long long>();
      if (value >= 1 && value <= max_port) return Pinned<int>{static_cast<int>(value), where(path)};
    }
    // A list or an object is named, not printed: printing recurses once per nesting level, and a
    // deeply nested one overflows the stack.
    const std::string got = node->is_array() ? "a list" : node->is_object() ? "an object" : node->dump();
    problem(path, fmt::format("{} must be a port number 1..{}, got {}", dotted(path), max_port, got));
    return std::nullopt;
  }

  std::optional<Pinned<std::string>> non_empty_string(const KeyPath& path) {
    const json* node = at(path);
    if (!node || node->is_null()) return std::nullopt;
    if (node->is_string() && !node->get<std::string>().empty())
      return Pinned<std::string>{node->get<std::string>(), where(path)};
    problem(path, fmt::format("{} must be a non-empty string", dotted(path)));
    return std::nullopt;
  }

  void browser_profiles() {
    const json* profiles = object_at({"browser", "profiles"});
    if (!profiles) return;
    if (profiles->size() > max_browser_profiles) {
      problem({"browser", "profiles"}, fmt::format("browser.profiles has {} entries; at most {} are allowed",
                                                   profiles->size(), max_browser_profiles));
      return;
    }
    for (const auto& [name, settings] : profiles->items()) {
      const KeyPath base{"browser", "profiles", name};
      if (!settings.is_object()) {
        problem(base, fmt::format("{} must be an object", dotted(base)));
        continue;
      }
      BrowserProfilePins pins{name, where(base), port({"browser", "profiles", name, "cdpPort"}),
                              non_empty_string({"browser", "profiles", name, "cdpUrl"})};
      if (pins.cdp_port || pins.cdp_url) out_.ports.browser_profiles.push_back(std::move(pins));
    }
  }

  void credential(const KeyPath& owner, const std::string& channel, const std::string& account) {
    for (const char* field : {"botToken", "token"}) {
      KeyPath path = owner;
      path.push_back(field);
      const json* node = at(path);
      if (!node || node->is_null()) continue;
      if (!node->is_string()) {
        problem(path, fmt::format("{} must be a string", dotted(path)));  // the value may be a secret: not shown
        continue;
      }
      if (node->get<std::string>().empty()) continue;
      out_.credentials.push_back(WrittenCredential{channel, account, field, node->get<std::string>(), where(path)});
    }
  }

  void channels() {
    const json* channels = object_at({"channels"});
    if (!channels) return;
    for (const auto& [channel, settings] : channels->items()) {
      if (!settings.is_object()) continue;  // e.g. "defaults" flags; nothing to compare
      credential({"channels", channel}, channel, "");
      const json* accounts = object_at({"channels", channel, "accounts"});
      if (!accounts) continue;
      for (const auto& [account, account_settings] : accounts->items())
        if (account_settings.is_object()) credential({"channels", channel, "accounts", account}, channel, account);
    }
  }

  const json& root_;
  const std::map<KeyPath, SourceLocation>& keys_;
  const std::string& file_;
  GatewayConfigFile& out_;
};

}  // namespace

GatewayConfigFile parse_gateway_config(const std::string& text, const std::string& file) {
  GatewayConfigFile config;
  config.exists = true;
  if (auto reason = non_text_reason(text)) {
    config.problems.push_back(ConfigProblem{"not a text file (" + *reason + ")", SourceLocation{file, 0, 0}});
    return config;
  }
  const char* furthest = text.data();
  KeyLocator locator(text, file, &furthest);
  json::sax_parse(TrackingIterator(text.data(), &furthest), TrackingIterator(text.data() + text.size(), &furthest),
                  &locator, json::input_format_t::json, /*strict=*/true, /*ignore_comments=*/true);
  if (locator.syntax_error()) {
    config.problems.push_back(*locator.syntax_error());
    return config;
  }
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  PinExtractor(root, locator.keys(), file, config).extract();
  return config;
}

GatewayConfigFile read_gateway_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::status(path, ec).type() == std::filesystem::file_type::not_found) return {};
  TextFile text = read_small_file(path, max_gateway_config_bytes);
  if (!text.text) {
    GatewayConfigFile config;
    config.exists = true;
    config.problems.push_back(ConfigProblem{"cannot be read: " + text.error, SourceLocation{path.string(), 0, 0}});
    return config;
  }
  return parse_gateway_config(*text.text, path.string());
}

}  // namespace moltbot::config::loader
