#include "reexec.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "moltbot/common/environment.h"
#include "moltbot/common/write_all.h"
#include "moltbot/control/protocol.h"
#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/guarded.h"

extern char** environ;

namespace moltbot::daemon {

namespace {

using nlohmann::json;

constexpr std::chrono::seconds check_timeout{10};

bool set_close_on_exec(int fd, bool on) {
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) == 0;
}

std::optional<std::string> read_all(int fd) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t got = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(text.size()));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
  }
}

}  // namespace

std::string reexec_check_reply() { return json{{"state_versions", {reexec_state_version}}}.dump(); }

std::string own_program() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error).string();
  // The file this image came from was replaced (an upgrade): the path now names the new one.
  constexpr std::string_view deleted = " (deleted)";
  if (path.ends_with(deleted)) path.resize(path.size() - deleted.size());
  return path;
}

void check_program(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& program,
                   std::function<void(std::optional<std::string>)> done) {
  runtime::SpawnRequest request{{program, reexec_check_flag}, current_environment(), "/"};
  runtime::run_cli(io, reaper, std::move(request), check_timeout,
                   [program, done = std::move(done)](const runtime::CliOutcome& outcome) {
                     if (!outcome.exit || outcome.exit->code != 0)
                       return done(fmt::format("{} {}: {}", program, reexec_check_flag, outcome.describe()));
                     auto reply = json::parse(outcome.output, nullptr, false);
                     if (reply.is_object() && reply.contains("state_versions") && reply["state_versions"].is_array())
                       for (const auto& version : reply["state_versions"])
                         if (version == reexec_state_version) return done(std::nullopt);
                     done(fmt::format("{} does not read this supervisor's state (version {}); it answered {}", program,
                                      reexec_state_version, outcome.output.substr(0, 200)));
                   });
}

std::string exec_with_state(const std::string& program, const std::vector<std::string>& argv, const json& state,
                            const std::vector<int>& keep_open) {
  const int memfd = ::memfd_create("moltbot-supervisord-state", MFD_CLOEXEC);
  if (memfd < 0) return fmt::format("memfd_create: {}", std::strerror(errno));
  if (!write_all(memfd, state.dump(-1, ' ', false, json::error_handler_t::replace))) {
    const int error = errno;
    ::close(memfd);
    return fmt::format("writing the state: {}", std::strerror(error));
  }
  // Nothing else goes across: a descriptor opened without O_CLOEXEC (a log file's stdio stream)
  // would leak into every later image.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  std::vector<int> opened;
  for (int fd : keep_open)
    if (set_close_on_exec(fd, false)) opened.push_back(fd);
  set_close_on_exec(memfd, false);
  ::setenv(reexec_state_variable, std::to_string(memfd).c_str(), 1);

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execve(program.c_str(), args.data(), environ);

  const int error = errno;
  ::unsetenv(reexec_state_variable);
  for (int fd : opened) set_close_on_exec(fd, true);
  ::close(memfd);
  return fmt::format("exec {}: {}", program, std::strerror(error));
}

std::optional<std::variant<json, std::string>> take_handed_over_state() {
  const char* value = std::getenv(reexec_state_variable);
  if (!value) return std::nullopt;
  const std::string number = value;
  ::unsetenv(reexec_state_variable);
  char* end = nullptr;
  const long fd = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || fd < 3 || fd > 1 << 20)
    return fmt::format("{}={}: not a descriptor", reexec_state_variable, number);
  auto text = read_all(static_cast<int>(fd));
  ::close(static_cast<int>(fd));
  if (!text) return fmt::format("cannot read the state from descriptor {}: {}", fd, std::strerror(errno));
  auto state = json::parse(*text, nullptr, false);
  if (!state.is_object() || !state.contains("version")) return std::string("the state handed over is not valid JSON");
  if (state["version"] != reexec_state_version)
    return fmt::format("the state handed over is version {}; this build reads version {}", state["version"].dump(),
                       reexec_state_version);
  return state;
}

std::string running_build() {
  static const std::string build = [] {
    // A hash of the file's bytes: the build id note would miss a rebuilt file that only differs
    // in its data. libstdc++'s hash of a string_view takes about a millisecond for a release
    // binary; a byte-wise FNV-1a took a hundred.
    const int fd = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    struct stat info {};
    if (fd < 0 || ::fstat(fd, &info) != 0) {
      if (fd >= 0) ::close(fd);
      return std::string("unknown");
    }
    const auto size = static_cast<std::size_t>(info.st_size);
    void* bytes = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (bytes == MAP_FAILED) return std::string("unknown");
    const auto hash = std::hash<std::string_view>{}(std::string_view(static_cast<const char*>(bytes), size));
    ::munmap(bytes, size);
    return fmt::format("{:016x}", hash);
  }();
  return build;
}

LiveReexec::LiveReexec(boost::asio::io_context& io, runtime::Reaper& reaper, runtime::Fleet& fleet, Image image,
                       const json* handed_over)
    : io_(io),
      reaper_(reaper),
      fleet_(fleet),
      image_(std::move(image)),
      reexecs_(handed_over ? handed_over->at("reexecs").get<int>() : 0) {}

json LiveReexec::identity() const { return {{"build", running_build()}, {"reexecs", reexecs_}}; }

void LiveReexec::request(control::ReplySink& sink) {
  using control::CommandError;
  if (pending_) throw CommandError("busy", "a re-exec is under way");
  if (auto busy = fleet_.busy_for_reexec()) throw CommandError("busy", *busy + "; try again in a moment");
  // The connection outlives this image: the next one answers on it.
  const int connection = ::fcntl(sink.connection(), F_DUPFD_CLOEXEC, 3);
  if (connection < 0) throw CommandError("system", fmt::format("cannot keep the connection: {}", std::strerror(errno)));
  pending_ = true;
  const auto program = own_program();
  spdlog::info("re-exec requested: asking {} whether it can take over", program);
  check_program(io_, reaper_, program, [this, connection](std::optional<std::string> problem) {
    pending_ = false;
    runtime::guarded(
        runtime::Handler::reexec, {},
        [&] {
          if (!problem) problem = fleet_.busy_for_reexec();
          if (!problem) problem = exec(connection);  // returns only when the exec failed
          spdlog::error("re-exec refused: {}; the supervisor runs on as it was", *problem);
          reply_and_close(connection, control::error_reply("reexec-failed", *problem));
        },
        [connection](const std::string& failure) {
          reply_and_close(connection, control::error_reply("internal", failure + "; the supervisor runs on"));
        });
  });
}

std::string LiveReexec::exec(int connection) {
  const auto program = own_program();
  std::vector<int> keep_open{connection, image_.listening_fd()};
  // A client connected just before the exec waits for the next image's answer, not for an EOF.
  const auto waiting = image_.connections_between_requests(connection);
  keep_open.insert(keep_open.end(), waiting.begin(), waiting.end());
  json state{{"version", reexec_state_version},
             {"from", {{"supervisor", MOLTBOT_VERSION}, {"build", running_build()}}},
             {"reexecs", reexecs_ + 1},
             {"requested_at", runtime::SteadyClock::now().time_since_epoch().count()},
             {"manifest_path", image_.manifest_path},
             {"manifest_text", image_.manifest_text()},
             {"control_fd", image_.listening_fd()},
             {"reply_fd", connection},
             {"connections", waiting}};
  state["fleet"] = fleet_.snapshot(keep_open);
  spdlog::info("re-executing {} (build {}): {} profiles and their gateways carried over", program, running_build(),
               state["fleet"]["profiles"].size());
  image_.before_exec();
  return exec_with_state(program, image_.argv, state, keep_open);
}

void LiveReexec::answer_handed_over(const json& handed_over) const {
  const auto took = runtime::SteadyClock::now().time_since_epoch().count() - handed_over.at("requested_at").get<std::int64_t>();
  const auto& from = handed_over.at("from");
  json data{{"pid", ::getpid()},
            {"supervisor", MOLTBOT_VERSION},
            {"build", running_build()},
            {"previous", from},
            {"reexecs", reexecs_},
            {"profiles", handed_over.at("fleet").at("profiles").size()},
            {"took_ms", static_cast<double>(took) / 1e6}};
  spdlog::info("re-executed: build {} (was {} {}), {} profiles taken over in {:.1f} ms", running_build(),
               from.at("supervisor").get<std::string>(), from.at("build").get<std::string>(), data["profiles"].get<std::size_t>(),
               data["took_ms"].get<double>());
  reply_and_close(handed_over.at("reply_fd").get<int>(), control::ok_reply(std::move(data)));
}

void reply_and_close(int connection, const json& reply) {
  // The descriptor may be non-blocking (it was the session's): a short line fits the empty buffer.
  write_all(connection, reply.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  ::close(connection);
}

}  // namespace moltbot::daemon
