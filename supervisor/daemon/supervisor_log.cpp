#include "supervisor_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "moltbot/config/render.h"

namespace moltbot::daemon {

namespace {

bool under_journald = false;  // configure_supervisor_log found JOURNAL_STREAM

const char* priority_of(config::Severity severity) {
  return severity == config::Severity::error ? "<3>" : severity == config::Severity::warning ? "<4>" : "<5>";
}

void append_prefixed(std::string& out, const std::string& text, const char* prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out.append(prefix).append(line).append(1, '\n');
}

// "%*": the sd-daemon priority prefix journald turns into the entry's priority.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm&, spdlog::memory_buf_t& out) override {
    static constexpr const char* prefixes[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    auto level = static_cast<std::size_t>(message.level);
    std::string_view prefix = prefixes[level < std::size(prefixes) ? level : 6];
    out.append(prefix.data(), prefix.data() + prefix.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

}  // namespace

void configure_supervisor_log(const Environment& env) {
  auto logger = std::make_shared<spdlog::logger>("moltbot-supervisord", std::make_shared<spdlog::sinks::stderr_sink_st>());
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  under_journald = lookup(env, "JOURNAL_STREAM").has_value();
  if (under_journald)
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
  else
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void print_manifest_diagnostics(const config::Diagnostics& diagnostics) {
  const std::string text = config::render_text(diagnostics);
  if (!under_journald || diagnostics.empty()) {
    std::cerr << text;
    return;
  }
  std::string out;
  config::Severity highest = config::Severity::note;
  for (const config::Diagnostic& diagnostic : diagnostics) {
    append_prefixed(out, config::render_text(diagnostic), priority_of(diagnostic.severity));
    highest = std::min(highest, diagnostic.severity);  // error < warning < note
  }
  const std::size_t count_line = text.rfind('\n', text.size() - 2);
  append_prefixed(out, text.substr(count_line == std::string::npos ? 0 : count_line + 1), priority_of(highest));
  std::cerr << out;
}

}  // namespace moltbot::daemon
