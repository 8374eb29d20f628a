#include "supervisor_log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace moltbot::daemon {

namespace {

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
  if (lookup(env, "JOURNAL_STREAM"))
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
  else
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l: %v");
  logger->set_formatter(std::move(formatter));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace moltbot::daemon
