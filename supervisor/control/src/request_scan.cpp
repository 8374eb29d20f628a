#include "request_scan.h"

#include <fmt/format.h>

#include <unordered_set>
#include <utility>
#include <vector>

#include "moltbot/common/visible_text.h"

namespace moltbot::control {
namespace {

using nlohmann::json;

class RequestScan final : public nlohmann::json_sax<json> {
 public:
  std::optional<CommandError> problem;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool string(string_t& text) override {
    if (text.find('\0') != string_t::npos)
      refuse([&] { return fmt::format("the value of {} holds a NUL character (\\u0000)", shown(path())); });
    return value();
  }

  bool start_object(std::size_t) override {
    levels_.push_back(Level{next_object_++, nullptr, 0});
    return true;
  }
  bool key(string_t& name) override {
    Level& object = levels_.back();
    object.key = nullptr;  // a problem with this key is reported at the object holding it
    if (name.find('\0') != string_t::npos)
      refuse([&] {
        return fmt::format("a key in {} holds a NUL character (\\u0000): {}", shown(path()), quoted_visible(name));
      });
    const auto [entry, added] = keys_.emplace(object.serial, name);
    if (!added) refuse([&] { return fmt::format("duplicate key {} in {}", quoted_visible(name), shown(path())); });
    object.key = &entry->second;
    return true;
  }
  bool end_object() override {
    levels_.pop_back();
    return value();
  }
  bool start_array(std::size_t) override {
    levels_.push_back(Level{array, nullptr, 0});
    return true;
  }
  bool end_array() override {
    levels_.pop_back();
    return value();
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    problem = CommandError("bad-json", "the request line is not valid JSON");
    return false;
  }

 private:
  static constexpr std::size_t array = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_shown_path = 200;

  // One open object or array; objects are told apart by serial number, so the keys of all of
  // them live in one set and none needs one of its own.
  struct Level {
    std::size_t serial;     // `array` for an array
    const std::string* key;  // objects: the key whose value comes next (in keys_)
    std::size_t index;      // arrays: the index of the value that comes next
  };

  struct KeyHash {
    std::size_t operator()(const std::pair<std::size_t, std::string>& key) const {
      return std::hash<std::string>()(key.second) ^ (key.first * 0x9E3779B97F4A7C15ULL);
    }
  };

  // After a complete value: the next one in an array has the next index.
  bool value() {
    if (!levels_.empty() && levels_.back().serial == array) ++levels_.back().index;
    return true;
  }

  // The first problem counts, its message built only then (a path costs its depth); reading goes
  // on, so a line that is not JSON further on is bad-json.
  template <class Message>
  void refuse(const Message& message) {
    if (!problem) problem = CommandError("bad-request", message());
  }

  // Where the value that comes next sits: `args.argv[2]`.
  std::string path() const {
    std::string text;
    for (const Level& level : levels_) {
      if (level.serial == array)
        text += fmt::format("[{}]", level.index);
      else if (level.key)
        text += (text.empty() ? "" : ".") + *level.key;
    }
    return text;
  }

  // A path for a message, quoted: at most its last max_shown_path bytes (a line of 64 KiB can
  // nest 30,000 arrays deep).
  static std::string shown(const std::string& path) {
    if (path.empty()) return "the request";
    if (path.size() <= max_shown_path) return quoted_visible(path);
    return "..." + quoted_visible(std::string_view(path).substr(path.size() - max_shown_path));
  }

  std::vector<Level> levels_;
  std::unordered_set<std::pair<std::size_t, std::string>, KeyHash> keys_;
  std::size_t next_object_ = 0;
};

}  // namespace

std::optional<CommandError> scan_request(std::string_view line) {
  RequestScan scan;
  json::sax_parse(line, &scan, json::input_format_t::json, true);
  return std::move(scan.problem);
}

}  // namespace moltbot::control
