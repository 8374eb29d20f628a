#pragma once
// The Prometheus text exposition format (version 0.0.4), written family by family: each family's
// HELP and TYPE lines, then its samples. Label values are escaped as the format asks.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace moltbot::metrics {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class MetricsText {
 public:
  // `type`: counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, double value);
  // The text so far; the writer is empty afterwards.
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

// A label value as the format writes it: backslash, double quote and newline escaped.
std::string escaped_label_value(std::string_view value);

}  // namespace moltbot::metrics
