#include "moltbot/common/paths.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>
#include <vector>

namespace moltbot {
namespace {

bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

bool is_valid_variable_name(std::string_view name) {
  return !name.empty() && is_name_start(name.front()) && std::all_of(name.begin(), name.end(), is_name_char);
}

// "/a/b/" -> "/a/b"; "/" stays.
std::filesystem::path without_trailing_separator(const std::filesystem::path& path) {
  if (!path.has_filename() && path.has_relative_path()) return path.parent_path();
  return path;
}

std::optional<std::filesystem::path> passwd_home() {
  const long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found || !found->pw_dir ||
      found->pw_dir[0] == '\0')
    return std::nullopt;
  return std::filesystem::path(found->pw_dir);
}

}  // namespace

ExpandedText expand_variables(std::string_view text, const Environment& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find("${", pos);
    if (start == std::string_view::npos) break;
    out.append(text.substr(pos, start - pos));
    const auto end = text.find('}', start + 2);
    if (end == std::string_view::npos) return {std::nullopt, "unterminated \"${\" in \"" + std::string(text) + "\""};
    const std::string name(text.substr(start + 2, end - start - 2));
    if (!is_valid_variable_name(name))
      return {std::nullopt, "bad variable reference \"${" + name + "}\" (use ${NAME} with letters, digits and _)"};
    const auto value = lookup(env, name);
    if (!value) return {std::nullopt, "${" + name + "} is not set"};
    out += *value;
    pos = end + 1;
  }
  out.append(text.substr(std::min(pos, text.size())));
  return {std::move(out), {}};
}

std::optional<std::filesystem::path> home_directory(const Environment& env) {
  if (auto home = lookup(env, "HOME"); home && !home->empty()) return std::filesystem::path(*home);
  return passwd_home();
}

ExpandedPath expand_path(std::string_view text, const Environment& env, const std::filesystem::path& base_dir) {
  if (text.empty()) return {std::nullopt, "empty path"};
  // As in a shell: "~" is looked at before variables, so a variable's value is never a "~".
  std::filesystem::path prefix;
  if (text == "~" || text.starts_with("~/")) {
    const auto home = home_directory(env);
    if (!home) return {std::nullopt, "HOME is not set, so \"~\" cannot be expanded"};
    prefix = *home;
    text.remove_prefix(std::min<std::size_t>(2, text.size()));
  } else if (text.starts_with('~')) {
    return {std::nullopt,
            "\"" + std::string(text.substr(0, text.find('/'))) + "\" is not supported (only \"~\" for HOME)"};
  }
  ExpandedText expanded = expand_variables(text, env);
  if (!expanded.text) return {std::nullopt, std::move(expanded.error)};
  if (prefix.empty() && expanded.text->empty())
    return {std::nullopt, "path \"" + std::string(text) + "\" expands to nothing"};
  // Joined as text: "~//x" is HOME/x, not /x.
  std::filesystem::path path = prefix.empty() ? *expanded.text : prefix.string() + "/" + *expanded.text;
  if (path.is_relative()) path = base_dir / path;
  return {normalise_path(path), {}};
}

std::filesystem::path normalise_path(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  // weakly_canonical fails only on I/O errors (e.g. a parent without search permission); the
  // lexical form is the best answer left then.
  std::filesystem::path resolved = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) resolved = absolute;
  return without_trailing_separator(resolved.lexically_normal());
}

bool is_same_or_within(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const std::filesystem::path inner = without_trailing_separator(path.lexically_normal());
  const std::filesystem::path outer = without_trailing_separator(folder.lexically_normal());
  return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first == outer.end();
}

}  // namespace moltbot
