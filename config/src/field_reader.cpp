#include "field_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "moltbot/common/duration.h"
#include "moltbot/common/paths.h"
#include "moltbot/common/profile_defaults.h"
#include "moltbot/common/spelling.h"

namespace moltbot::config::loader {
namespace {

bool is_plain(const yaml::Node& node) { return node.kind == yaml::Node::Kind::scalar && !node.is_string(); }

bool looks_like_integer(std::string_view text) {
  if (text.starts_with('-') || text.starts_with('+')) text.remove_prefix(1);
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

FieldReader::FieldReader(Diagnostics& out, std::string subject, std::string field_prefix, std::string profile)
    : out_(&out), subject_(std::move(subject)), field_prefix_(std::move(field_prefix)), profile_(std::move(profile)) {}

FieldReader FieldReader::nested(std::string_view field) const {
  return FieldReader(*out_, subject_, full_name(field) + ".", profile_);
}

std::string FieldReader::full_name(std::string_view field) const {
  std::string name = field_prefix_ + std::string(field);
  if (field.empty() && name.ends_with('.')) name.pop_back();
  return name;
}

void FieldReader::error(std::string code, const SourceLocation& where, std::string_view message,
                        std::vector<RelatedNote> related) const {
  report(Severity::error, std::move(code), where, message, std::move(related));
}

void FieldReader::report(Severity severity, std::string code, const SourceLocation& where, std::string_view message,
                         std::vector<RelatedNote> related) const {
  out_->push_back(
      Diagnostic{severity, std::move(code), subject_ + std::string(message), where, profile_, std::move(related)});
}

void FieldReader::field_error(std::string code, const SourceLocation& where, std::string_view field,
                              std::string_view problem, std::vector<RelatedNote> related) const {
  error(std::move(code), where, fmt::format("field \"{}\": {}", full_name(field), problem), std::move(related));
}

std::string FieldReader::describe(const yaml::Node& node) {
  switch (node.kind) {
    case yaml::Node::Kind::null:
      return "nothing";
    case yaml::Node::Kind::sequence:
      return "a list";
    case yaml::Node::Kind::mapping:
      return "a mapping";
    case yaml::Node::Kind::scalar:
      break;
  }
  if (node.is_string()) return fmt::format("string \"{}\"", node.value);
  return node.value;
}

void FieldReader::wrong_type(const yaml::Node& node, std::string_view field, std::string_view expected) const {
  std::string problem = fmt::format("expected {}, got {}", expected, describe(node));
  if (node.tag == "!" && expected.find("integer") != std::string_view::npos && looks_like_integer(node.value))
    problem += " (remove the quotes)";
  field_error("wrong-type", node.where, field, problem);
}

void FieldReader::unknown_choice(const yaml::Node& node, std::string_view field, const std::string& text,
                                 const std::vector<std::string_view>& names) const {
  std::string problem = fmt::format("unknown value \"{}\" (use {})", text, quoted_list(names));
  if (auto suggestion = closest_spelling(text, names)) problem += fmt::format("; did you mean \"{}\"?", *suggestion);
  field_error("bad-value", node.where, field, problem);
}

bool FieldReader::within_limit(const yaml::Node& node, std::string_view field, std::size_t limit) const {
  const std::size_t count = node.kind == yaml::Node::Kind::mapping ? node.entries.size() : node.items.size();
  if (count <= limit) return true;
  field_error("bad-value", node.where, field, fmt::format("has {} entries; at most {} are allowed", count, limit));
  return false;
}

bool FieldReader::expect_mapping(const yaml::Node& node, std::string_view field, std::string_view what) const {
  if (node.kind == yaml::Node::Kind::mapping) return true;
  wrong_type(node, field, what);
  return false;
}

void FieldReader::for_each_field(const yaml::Node& mapping, std::string_view field,
                                 const std::vector<std::string_view>& known, const FieldHandler& handle) const {
  if (!expect_mapping(mapping, field, "a mapping")) return;
  const FieldReader inside = field.empty() ? *this : nested(field);
  for (const yaml::Entry& entry : mapping.entries) {
    const yaml::Node& key = *entry.key;
    if (key.kind != yaml::Node::Kind::scalar) {
      const std::string problem = fmt::format("keys must be plain names, got {}", describe(key));
      if (field.empty())
        error("wrong-type", key.where, problem);
      else
        field_error("wrong-type", key.where, field, problem);
      continue;
    }
    bool is_known = false;
    for (std::string_view name : known) is_known = is_known || name == key.value;
    if (is_known) {
      handle(key.value, entry);
      continue;
    }
    std::string message = fmt::format("unknown field \"{}\"", inside.full_name(key.value));
    if (key.value == "<<")
      message += " (YAML merge keys are not supported; shared settings go in `defaults`)";
    else if (auto suggestion = closest_spelling(key.value, known))
      message += fmt::format("; did you mean \"{}\"?", inside.full_name(*suggestion));
    error("unknown-key", key.where, message);
  }
}

std::optional<long long> FieldReader::integer(const yaml::Node& node, std::string_view field, long long min,
                                              long long max) const {
  if (!is_plain(node) || !looks_like_integer(node.value)) {
    wrong_type(node, field, "an integer");
    return std::nullopt;
  }
  std::string_view digits = node.value;
  if (digits.starts_with('+')) digits.remove_prefix(1);
  long long value = 0;
  const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (status != std::errc() || end != digits.data() + digits.size() || value < min || value > max) {
    field_error("bad-value", node.where, field, fmt::format("{} is outside {}..{}", node.value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<int> FieldReader::port(const yaml::Node& node, std::string_view field) const {
  auto value = integer(node, field, 1, max_port);
  if (!value) return std::nullopt;
  return static_cast<int>(*value);
}

std::optional<double> FieldReader::number(const yaml::Node& node, std::string_view field, double min,
                                          double max) const {
  double value = 0;
  const std::string_view text = node.value;
  const auto [end, status] =
      is_plain(node) ? std::from_chars(text.data(), text.data() + text.size(), value) : std::from_chars_result{};
  if (!is_plain(node) || status != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    wrong_type(node, field, "a number");
    return std::nullopt;
  }
  if (value < min || value > max) {
    field_error("bad-value", node.where, field, fmt::format("{} is outside {}..{}", node.value, min, max));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> FieldReader::boolean(const yaml::Node& node, std::string_view field) const {
  if (is_plain(node)) {
    if (node.value == "true" || node.value == "True" || node.value == "TRUE") return true;
    if (node.value == "false" || node.value == "False" || node.value == "FALSE") return false;
  }
  wrong_type(node, field, "true or false");
  return std::nullopt;
}

std::optional<std::string> FieldReader::scalar_text(const yaml::Node& node, std::string_view field) const {
  if (node.kind == yaml::Node::Kind::scalar) return node.value;
  wrong_type(node, field, "a string");
  return std::nullopt;
}

std::optional<std::vector<std::string>> FieldReader::string_list(const yaml::Node& node, std::string_view field) const {
  if (node.kind != yaml::Node::Kind::sequence) {
    wrong_type(node, field, "a list of strings");
    return std::nullopt;
  }
  if (node.items.empty()) {
    field_error("bad-value", node.where, field, "must not be empty");
    return std::nullopt;
  }
  if (!within_limit(node, field, max_list_entries)) return std::nullopt;
  std::vector<std::string> values;
  bool ok = true;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const yaml::Node& item = *node.items[i];
    if (item.kind != yaml::Node::Kind::scalar) {
      field_error("wrong-type", item.where, fmt::format("{}[{}]", field, i),
                  fmt::format("expected a string, got {}", describe(item)));
      ok = false;
      continue;
    }
    values.push_back(item.value);
  }
  if (!ok) return std::nullopt;
  return values;
}

std::optional<std::chrono::milliseconds> FieldReader::duration(const yaml::Node& node, std::string_view field) const {
  if (node.kind != yaml::Node::Kind::scalar) {
    wrong_type(node, field, "a duration");
    return std::nullopt;
  }
  auto value = parse_duration(node.value);
  if (!value)
    field_error("bad-duration", node.where, field,
                fmt::format("bad duration \"{}\" (use 250ms, 5s, 2m, 1h or seconds)", node.value));
  return value;
}

std::optional<std::filesystem::path> FieldReader::path(const yaml::Node& node, std::string_view field,
                                                       const PathContext& context) const {
  auto text = scalar_text(node, field);
  if (!text) return std::nullopt;
  ExpandedPath expanded = expand_path(*text, context.env, context.base_dir);
  if (!expanded.path) field_error("bad-path", node.where, field, expanded.error);
  return expanded.path;
}

}  // namespace moltbot::config::loader
