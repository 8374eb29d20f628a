#pragma once
// The control protocol's wire format (docs/control-protocol.md): one JSON object per line each
// way. Pure functions, no I/O: the session hands complete lines in and writes the lines out.
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace moltbot::control {

inline constexpr int protocol_version = 1;
inline constexpr std::size_t max_request_bytes = 64 * 1024;  // one request line, newline excluded

// The one error type of commands: its code and message go back to the client as they are.
// Names from outside in a message are quoted with moltbot::quoted (common/visible_text.h).
class CommandError : public std::runtime_error {
 public:
  // `details`: further fields of the error object, such as a reload's "diagnostics".
  CommandError(std::string code, const std::string& message, nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message), code_(std::move(code)), message_(message), details_(std::move(details)) {}
  const std::string& code() const { return code_; }
  // The whole message; what() ends at the first NUL.
  const std::string& message() const { return message_; }
  const nlohmann::json& details() const { return details_; }

 private:
  std::string code_;
  std::string message_;
  nlohmann::json details_;
};

class PeerGrants;

// Who sent a request, as the server learned it from the socket (SO_PEERCRED), never from the line.
struct Peer {
  uid_t uid = 0;
  // Root or the supervisor's own uid. A peer admitted only as a member of supervisor.socket_group
  // may drive the fleet but not read what only the supervisor's uid may read (env_file secrets).
  bool privileged = false;
  // Set for a peer served only through control.grants (neither privileged nor a member of
  // socket_group): what they give it (peer_grants.h). Null: not limited by grants.
  std::shared_ptr<const PeerGrants> grants;
  pid_t pid = 0;  // as it connected; for the audit
};

struct Request {
  std::string command;
  nlohmann::json args = nlohmann::json::object();
  Peer peer;  // set by the dispatcher; a parsed line alone is from nobody privileged
};

// `{"version":1,"command":"status","args":{...}}`; `args` may be left out.
std::variant<Request, CommandError> parse_request(std::string_view line);

// Every line the server writes carries "version".
nlohmann::json ok_reply(nlohmann::json data);
// The same ok reply written as text: ok_reply_begin, the data as JSON text, ok_reply_end.
inline constexpr std::string_view ok_reply_begin = R"({"version":1,"ok":true,"data":)";
inline constexpr std::string_view ok_reply_end = "}";
nlohmann::json error_reply(const std::string& code, const std::string& message,
                           const nlohmann::json& details = nlohmann::json::object());
// Lines of a stream (`events`, `logs -f`, `--wait` progress) after the first reply.
nlohmann::json stream_message(const std::string& kind, nlohmann::json payload);

// Typed access to `args`, throwing CommandError("bad-argument", ...) naming the argument.
std::string string_arg(const Request& request, const std::string& name);
std::string string_arg_or(const Request& request, const std::string& name, std::string fallback);
// A required array of strings (possibly empty).
std::vector<std::string> string_list_arg(const Request& request, const std::string& name);
bool bool_arg_or(const Request& request, const std::string& name, bool fallback);
long number_arg_or(const Request& request, const std::string& name, long fallback, long min, long max);

}  // namespace moltbot::control
