#include "moltbot/common/env_file.h"

#include <fmt/format.h>

#include "moltbot/common/text_file.h"

namespace moltbot {
namespace {

constexpr std::string_view blanks = " \t";
constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(blanks) - first + 1);
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// What may follow a closing quote: nothing but blanks and a comment.
bool only_comment_after(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#';
}

struct ValueParse {
  std::optional<std::string> value;
  std::string error;
};

ValueParse parse_single_quoted(std::string_view text) {
  const auto close = text.find('\'', 1);
  if (close == std::string_view::npos) return {std::nullopt, "unterminated single-quoted value"};
  if (!only_comment_after(text.substr(close + 1))) return {std::nullopt, "unexpected text after the closing quote"};
  return {std::string(text.substr(1, close - 1)), {}};
}

ValueParse parse_double_quoted(std::string_view text) {
  std::string value;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      if (!only_comment_after(text.substr(i + 1))) return {std::nullopt, "unexpected text after the closing quote"};
      return {std::move(value), {}};
    }
    if (c == '\\' && i + 1 < text.size()) {
      const char next = text[++i];
      switch (next) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case '"':
        case '\\':
        case '$':
        case '`':
          value += next;
          break;
        default:
          value += '\\';
          value += next;
          break;
      }
      continue;
    }
    value += c;
  }
  return {std::nullopt, "unterminated double-quoted value"};
}

ValueParse parse_value(std::string_view text) {
  if (text.starts_with('\'')) return parse_single_quoted(text);
  if (text.starts_with('"')) return parse_double_quoted(text);
  return {std::string(text), {}};
}

}  // namespace

Environment EnvFile::values() const {
  Environment env;
  for (const auto& entry : entries) env[entry.name] = entry.value;
  return env;
}

EnvFile parse_env_file(std::string_view text, const std::string& file_name) {
  EnvFile file;
  // Editors on Windows start UTF-8 files with a byte order mark, invisible in any message about
  // the first name it would otherwise be part of.
  if (text.starts_with(utf8_bom)) text.remove_prefix(utf8_bom.size());
  if (auto reason = non_text_reason(text)) {
    file.error = fmt::format("{}: not a text file ({})", file_name, *reason);
    return file;
  }
  int line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export") && line.size() > 6 && (line[6] == ' ' || line[6] == '\t'))
      line = trim(line.substr(6));

    const auto fail = [&](std::string_view what) {
      file.error = fmt::format("{}:{}: {}", file_name, line_number, what);
      return file;
    };
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail("expected NAME=VALUE");
    const std::string_view name = trim(line.substr(0, eq));
    if (!is_valid_name(name))
      return fail(fmt::format("bad variable name \"{}\" (letters, digits and _, not starting with a digit)", name));
    ValueParse value = parse_value(trim(line.substr(eq + 1)));
    if (!value.value) return fail(fmt::format("{}: {}", name, value.error));
    file.entries.push_back({std::string(name), std::move(*value.value), line_number});
  }
  return file;
}

EnvFile read_env_file(const std::filesystem::path& path) {
  TextFile text = read_small_file(path, max_env_file_bytes);
  if (!text.text) {
    EnvFile file;
    file.error = fmt::format("{}: {}", path.string(), text.error);
    return file;
  }
  return parse_env_file(*text.text, path.string());
}

}  // namespace moltbot
