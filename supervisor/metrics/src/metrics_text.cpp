#include "moltbot/metrics/metrics_text.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace moltbot::metrics {

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(text_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsText::sample(std::string_view name, Labels labels, double value) {
  text_ += name;
  if (labels.size() > 0) {
    char separator = '{';
    for (const auto& [label, label_value] : labels) {
      text_ += separator;
      fmt::format_to(std::back_inserter(text_), "{}=\"{}\"", label, escaped_label_value(label_value));
      separator = ',';
    }
    text_ += '}';
  }
  text_ += ' ';
  if (std::isinf(value))
    text_ += value > 0 ? "+Inf" : "-Inf";
  else
    fmt::format_to(std::back_inserter(text_), "{}", value);
  text_ += '\n';
}

std::string escaped_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace moltbot::metrics
