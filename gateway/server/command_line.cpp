#include "command_line.h"

#include <charconv>
#include <functional>
#include <utility>

#include "moltbot/common/duration.h"

namespace moltbot::gateway {
namespace {

using Error = std::optional<std::string>;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Reads the arguments left to right: options (`--name value` or `--name=value`) and words.
class Parser {
 public:
  explicit Parser(std::span<const char* const> args) : args_(args) {}

  CommandLineResult parse() {
    // Options before the first word belong to the gateway itself (today's form and the real
    // CLI's root options such as --profile).
    if (auto error = scan([this](std::string_view name) { return run_option(name); }, {})) return fail(*error);
    if (!more()) return {result_, {}};
    std::string_view word = args_[next_++];
    if (word == "gateway") return parse_gateway();
    if (word == "config") return parse_config();
    if (word == "database") return parse_database();
    return fail("unknown argument " + quoted(word));
  }

 private:
  using OptionHandler = std::function<Error(std::string_view name)>;
  using WordHandler = std::function<Error(std::string_view word)>;

  bool more() const { return next_ < args_.size(); }
  CommandLineResult fail(std::string error) const { return {std::nullopt, std::move(error)}; }

  // Handles options until the arguments end, or until a word when `on_word` is empty.
  Error scan(const OptionHandler& on_option, const WordHandler& on_word) {
    while (more()) {
      std::string_view arg = args_[next_];
      if (!arg.starts_with("-")) {
        if (!on_word) return std::nullopt;
        ++next_;
        if (auto error = on_word(arg)) return error;
        continue;
      }
      ++next_;
      inline_value_.reset();
      if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
        inline_value_ = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      if (arg == "--help" || arg == "-h") {
        result_.help = true;
        continue;
      }
      if (auto error = on_option(arg)) return error;
    }
    return std::nullopt;
  }

  // The value of the option just read: inline, or the next argument unless that is an option.
  std::optional<std::string_view> value(bool may_take_option = true) {
    if (inline_value_) return std::exchange(inline_value_, std::nullopt);
    if (!more()) return std::nullopt;
    std::string_view next = args_[next_];
    if (!may_take_option && next.starts_with("--")) return std::nullopt;
    ++next_;
    return next;
  }

  Error unknown_option(std::string_view name) const { return "unknown argument " + quoted(name); }

  Error port_option() {
    auto text = value();
    if (!text) return "--port needs a port number";
    auto port = parse_port(*text);
    if (!port) return "--port: " + quoted(*text) + " is not a port number (1..65535)";
    result_.port = port;
    return std::nullopt;
  }

  // The options of the running gateway, in both forms.
  Error run_option(std::string_view name) {
    if (name == "--helper") {
      result_.helper = true;
    } else if (name == "--profile") {
      auto profile = value();
      if (!profile) return "--profile needs a profile name";
      result_.profile = std::string(*profile);
    } else if (name == "--port") {
      return port_option();
    } else if (name == "--bind") {
      auto mode = value();
      if (!mode) return "--bind needs loopback or lan";
      if (*mode == "loopback") {
        result_.bind = BindMode::loopback;
      } else if (*mode == "lan") {
        result_.bind = BindMode::lan;
      } else {
        return "--bind: " + quoted(*mode) + " is not loopback or lan";
      }
    } else if (name == "--allow-unconfigured") {
      // The real gateway's switch to start without a finished setup; this one always may.
    } else if (name == "--token") {
      // Accepted like the real gateway's, and never used or printed: this one has no clients.
      if (!value()) return "--token needs a value";
    } else {
      return unknown_option(name);
    }
    return std::nullopt;
  }

  Error no_words(std::string_view word) const { return "unexpected argument " + quoted(word); }

  CommandLineResult finish(const OptionHandler& on_option) {
    return finish_with_words(on_option, [this](std::string_view word) { return no_words(word); });
  }

  CommandLineResult finish_with_words(const OptionHandler& on_option, const WordHandler& on_word) {
    if (auto error = scan(on_option, on_word)) return fail(*error);
    return {result_, {}};
  }

  CommandLineResult parse_gateway() {
    std::string_view sub = more() && !std::string_view(args_[next_]).starts_with("-") ? args_[next_++] : "run";
    if (sub == "run") return finish([this](std::string_view name) { return run_option(name); });
    if (sub == "restart-handoff") return parse_handoff();
    if (sub == "restart" || sub == "status") {
      result_.command = sub == "restart" ? Command::restart : Command::status;
      return finish([this, sub](std::string_view name) -> Error {
        if (name == "--port") return port_option();
        if (sub == "restart" && name == "--wait-timeout") {
          auto text = value();
          auto timeout = text ? parse_duration(*text) : std::nullopt;
          if (!timeout || *timeout <= std::chrono::milliseconds::zero()) {
            return "--wait-timeout needs a duration such as 30s";
          }
          result_.wait_timeout = *timeout;
          return std::nullopt;
        }
        return unknown_option(name);
      });
    }
    if (sub == "install" || sub == "uninstall" || sub == "start" || sub == "stop") {
      result_.command = Command::service;
      result_.service_verb = std::string(sub);
      next_ = args_.size();  // refused whatever the options: none of them could change that
      return {result_, {}};
    }
    return fail("unknown command " + quoted("gateway " + std::string(sub)));
  }

  CommandLineResult parse_handoff() {
    std::string_view operation = more() ? args_[next_++] : "";
    if (operation == "capabilities") {
      result_.command = Command::handoff_capabilities;
      return finish([this](std::string_view name) { return name == "--json" ? Error() : unknown_option(name); });
    }
    if (operation != "consume") {
      return fail("gateway restart-handoff: expected capabilities or consume, not " + quoted(operation));
    }
    result_.command = Command::handoff_consume;
    scan(
        [this](std::string_view name) -> Error {
          if (name == "--expected-pid") {
            auto pid = value(/*may_take_option=*/false);
            if (pid) result_.expected_pids.emplace_back(*pid);
            else result_.consume_extra_arguments = true;
          } else if (name != "--json") {
            result_.consume_extra_arguments = true;
          }
          return std::nullopt;
        },
        [this](std::string_view) -> Error {
          result_.consume_extra_arguments = true;
          return std::nullopt;
        });
    return {result_, {}};
  }

  CommandLineResult parse_database() {
    std::string_view sub = more() ? args_[next_++] : "";
    if (sub != "preflight") return fail("database: only `database preflight FILE [--json]` is supported");
    result_.command = Command::database_preflight;
    return finish_with_words(
        [this](std::string_view name) -> Error {
          if (name != "--json") return unknown_option(name);
          result_.json = true;
          return std::nullopt;
        },
        [this](std::string_view word) -> Error {
          if (!result_.preflight_path.empty()) return no_words(word);
          result_.preflight_path = std::string(word);
          return std::nullopt;
        });
  }

  // Words are PATH and VALUE, and anything not starting with "--" is a word: VALUE may be -5.
  CommandLineResult parse_config() {
    if (!more() || std::string_view(args_[next_]) != "set") return fail("config: only `config set PATH VALUE` is supported");
    ++next_;
    result_.command = Command::config_set;
    std::vector<std::string_view> words;
    for (; more(); ++next_) {
      std::string_view arg = args_[next_];
      if (arg == "--strict-json") {
        result_.strict_json = true;
      } else if (arg == "--help") {
        result_.help = true;
      } else if (arg.starts_with("--")) {
        return fail(*unknown_option(arg));
      } else {
        words.push_back(arg);
      }
    }
    if (words.size() != 2 && !result_.help) return fail("config set needs PATH and VALUE, e.g. config set gateway.port 19001");
    if (words.size() == 2) {
      result_.config_key = std::string(words[0]);
      result_.config_value = std::string(words[1]);
    }
    return {result_, {}};
  }

  std::span<const char* const> args_;
  std::size_t next_ = 0;
  std::optional<std::string_view> inline_value_;
  CommandLine result_;
};

}  // namespace

std::optional<int> parse_port(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return value;
}

CommandLineResult parse_command_line(std::span<const char* const> args) { return Parser(args).parse(); }

std::string usage_text() {
  return "usage: moltbot-gateway [--profile NAME] [--port N] [--bind loopback|lan]\n"
         "       moltbot-gateway [--profile NAME] gateway [run] [--port N] [--bind loopback|lan]\n"
         "                       [--allow-unconfigured] [--token T]\n"
         "       moltbot-gateway [--profile NAME] gateway restart-handoff capabilities [--json]\n"
         "       moltbot-gateway [--profile NAME] gateway restart-handoff consume --expected-pid PID [--json]\n"
         "       moltbot-gateway [--profile NAME] gateway restart [--port N] [--wait-timeout DUR]\n"
         "       moltbot-gateway [--profile NAME] gateway status [--port N]\n"
         "       moltbot-gateway [--profile NAME] gateway install|uninstall|start|stop\n"
         "       moltbot-gateway [--profile NAME] config set PATH VALUE [--strict-json]\n"
         "       moltbot-gateway database preflight FILE [--json]\n"
         "See docs/gateway.md for environment variables, endpoints and exit codes.\n";
}

}  // namespace moltbot::gateway
