#include <algorithm>
#include <array>
#include <cctype>

#include <yaml-cpp/yaml.h>

#include "moltbot/export/export_fleet.h"

namespace moltbot::fleet_export {
namespace {

// A string is written plain only when no YAML reader can take it for anything but a string:
// "1", "1Gi", "true", "on", "~" or ": x" are quoted, so an env value stays a string.
bool plain_is_safe(const std::string& text) {
  if (text.empty()) return false;
  const auto first = static_cast<unsigned char>(text.front());
  if (!std::isalpha(first) && first != '/' && first != '_') return false;
  const bool simple = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/';
  });
  if (!simple) return false;
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  constexpr std::array<std::string_view, 11> words{"true", "false", "yes", "no", "on", "off",
                                                   "y",    "n",     "null", ".inf", ".nan"};
  return std::find(words.begin(), words.end(), lower) == words.end();
}

void emit_string(YAML::Emitter& out, const std::string& text) {
  if (!plain_is_safe(text)) out << YAML::DoubleQuoted;
  out << text;
}

void emit(YAML::Emitter& out, const Object& value) {
  switch (value.type()) {
    case Object::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        emit_string(out, key);
        out << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case Object::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Object::value_t::string: emit_string(out, value.get<std::string>()); break;
    case Object::value_t::boolean: out << value.get<bool>(); break;
    case Object::value_t::number_integer:
    case Object::value_t::number_unsigned: out << value.get<long long>(); break;
    default: out << YAML::Null; break;
  }
}

}  // namespace

std::string render_yaml(const std::vector<Object>& objects) {
  std::string text;
  for (const auto& object : objects) {
    YAML::Emitter out;
    emit(out, object);
    text += "---\n";
    text += out.c_str();
    text += '\n';
  }
  return text;
}

}  // namespace moltbot::fleet_export
