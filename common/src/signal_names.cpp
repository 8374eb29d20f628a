#include "moltbot/common/signal_names.h"

#include <array>
#include <cctype>
#include <charconv>
#include <csignal>

namespace moltbot {
namespace {

struct NamedSignal {
  std::string_view name;  // without "SIG"
  int number;
};

const std::array<NamedSignal, 19> named_signals{{
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"BUS", SIGBUS},   {"FPE", SIGFPE},   {"KILL", SIGKILL},   {"USR1", SIGUSR1},
    {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH},
}};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
  int number = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error == std::errc() && end == text.data() + text.size() && !text.empty()) {
    if (number >= 1 && number <= SIGRTMAX) return number;
    return std::nullopt;
  }
  std::string name = upper(text);
  if (name.starts_with("SIG")) name.erase(0, 3);
  for (const NamedSignal& signal : named_signals)
    if (signal.name == name) return signal.number;
  return std::nullopt;
}

std::string signal_name(int signal) {
  for (const NamedSignal& named : named_signals)
    if (named.number == signal) return "SIG" + std::string(named.name);
  return "signal " + std::to_string(signal);
}

}  // namespace moltbot
