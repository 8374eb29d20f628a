#include "moltbot/runtime/health_probe.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A probe that ended in `error`: the gateway's failure, unless the supervisor lacked a socket or
// memory for it.
ProbeResult failed(const boost::system::error_code& error) {
  if (error == asio::error::eof) return {false, "connection closed before a response"};
  if (error.category() != boost::system::system_category() || !is_shortage(error.value()))
    return {false, error.message()};
  return {false, "the supervisor could not probe: " + error.message(), shortage_of("probe socket", error.value())};
}

// A handler of `probe` that keeps it alive, inside the catch boundary: one that throws ends the
// probe as failed, with the failure as its detail.
template <typename Probe, typename Body>
auto probe_handler(std::shared_ptr<Probe> probe, Body body) {
  return [probe = std::move(probe), body = std::move(body)](auto... results) {
    guarded(Handler::probe, {}, [&] { body(results...); },
            [&](const std::string& failure) { probe->finish({false, failure}); });
  };
}

// A startup answer is a few hundred bytes; anything past this is not one.
constexpr std::size_t max_startup_response = 16 * 1024;

// A TCP or HTTP probe. start(): an HTTP one, which connects, sends a GET and reads the status
// line, or with a `judge` the whole response, which it turns into the result. wait_for_connect():
// a tcp probe whose connect probe_tcp() left in progress.
class SocketProbe : public std::enable_shared_from_this<SocketProbe> {
 public:
  using Judge = std::function<ProbeResult(int status, std::string_view body)>;

  SocketProbe(asio::io_context& io, int port, std::optional<std::string> http_path, ProbeTimeout timeout,
              ProbeCallback done, Judge judge = nullptr)
      : socket_(io), timer_(io), port_(port), http_path_(std::move(http_path)), timeout_(timeout),
        done_(std::move(done)), judge_(std::move(judge)), response_(judge_ ? max_startup_response : SIZE_MAX) {}

  void start() {
    arm_timeout();
    socket_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port_)),
                          probe_handler(shared_from_this(), [this](const boost::system::error_code& error) {
                            if (error) return finish(failed(error));
                            do_request();
                          }));
  }

  // A tcp probe's connect that `fd` (non-blocking) has in progress: waited for, with the timeout.
  void wait_for_connect(int fd) {
    arm_timeout();
    boost::system::error_code error;
    socket_.assign(tcp::v4(), fd, error);
    if (error) {
      ::close(fd);
      return finish(failed(error));
    }
    socket_.async_wait(tcp::socket::wait_write,
                       probe_handler(shared_from_this(), [this](const boost::system::error_code& error) {
                         if (error) return finish(failed(error));
                         int pending = 0;
                         socklen_t size = sizeof pending;
                         ::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &pending, &size);
                         if (pending != 0) return finish(failed({pending, boost::system::system_category()}));
                         finish({true, "the listener answered"});
                       }));
  }

  // Only the first call counts (the timeout and the I/O may both end).
  void finish(ProbeResult result) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    boost::system::error_code ignored;
    timer_.cancel();
    // A connect-only probe has nothing in flight to lose: closing with a reset (linger 0) spares
    // both ends the FIN exchange and keeps no TIME_WAIT socket for the next 60 s (6,000 of them
    // with 500 gateways probed every 5 s).
    if (!http_path_) socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
    done(std::move(result));
  }

 private:
  void arm_timeout() {
    timer_.expires_after(timeout_);
    timer_.async_wait(probe_handler(shared_from_this(), [this](const boost::system::error_code& error) {
      if (error) return;
      finish({false, fmt::format("timed out after {} ms", timeout_.count())});
    }));
  }

  void do_request() {
    request_ = fmt::format("GET {} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", *http_path_, port_);
    asio::async_write(socket_, asio::buffer(request_),
                      probe_handler(shared_from_this(), [this](const boost::system::error_code& error, std::size_t) {
                        if (error) return finish(failed(error));
                        if (judge_) return do_read_response();
                        do_read_status();
                      }));
  }

  void do_read_status() {
    asio::async_read_until(
        socket_, response_, "\r\n",
        probe_handler(shared_from_this(), [this](const boost::system::error_code& error, std::size_t) {
          if (error) return finish(failed(error));
          finish(parse_status());
        }));
  }

  void do_read_response() {
    asio::async_read(socket_, response_, asio::transfer_all(),
                     probe_handler(shared_from_this(), [this](const boost::system::error_code& error, std::size_t) {
                       if (error != asio::error::eof) return finish(failed(error));
                       finish(judge_response());
                     }));
  }

  ProbeResult judge_response() {
    std::string_view text(static_cast<const char*>(response_.data().data()), response_.size());
    int status = 0;
    if (std::sscanf(std::string(text.substr(0, text.find('\r'))).c_str(), "HTTP/%*s %d", &status) != 1)
      return {false, "not an HTTP response"};
    auto body_start = text.find("\r\n\r\n");
    return judge_(status, body_start == std::string_view::npos ? std::string_view() : text.substr(body_start + 4));
  }

  ProbeResult parse_status() {
    std::istream in(&response_);
    std::string version;
    int status = 0;
    in >> version >> status;
    if (!version.starts_with("HTTP/") || status < 100) return {false, "not an HTTP response"};
    return {status >= 200 && status < 300, fmt::format("HTTP {}", status)};
  }


  tcp::socket socket_;
  asio::steady_timer timer_;
  int port_;
  std::optional<std::string> http_path_;
  ProbeTimeout timeout_;
  ProbeCallback done_;
  Judge judge_;
  std::string request_;
  asio::streambuf response_;
};

class ExecProbe : public std::enable_shared_from_this<ExecProbe> {
 public:
  ExecProbe(asio::io_context& io, Reaper& reaper, ProbeTimeout timeout, ProbeCallback done)
      : timer_(io), reaper_(reaper), timeout_(timeout), done_(std::move(done)) {}

  void start(SpawnRequest request) {
    auto spawned = spawn(request);
    if (auto* error = std::get_if<std::string>(&spawned)) return done_({false, *error});
    if (auto* shortage = std::get_if<Shortage>(&spawned))
      return done_({false, "the supervisor could not run the health command: " + shortage->message, *shortage});
    pid_ = std::get<pid_t>(spawned);
    reaper_.watch(pid_, probe_handler(shared_from_this(), [this](ExitStatus exit) {
      reaped_ = true;
      timer_.cancel();
      finish({exit.code == 0, fmt::format("health command: {}", exit.describe())});
    }));
    timer_.expires_after(timeout_);
    timer_.async_wait(probe_handler(shared_from_this(), [this](const boost::system::error_code& error) {
      // A deadline that expired just as the exit was reaped still runs: the group's id may name
      // another group by then.
      if (error || reaped_) return;
      // The command is not reaped: its group's id names its group alone.
      // The exit still arrives through the reaper; the verdict is the timeout.
      ::kill(-pid_, SIGKILL);
      finish({false, fmt::format("health command timed out after {} ms", timeout_.count())});
    }));
  }

  // Only the first call counts (the timeout and the exit may both come).
  void finish(ProbeResult result) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

 private:
  asio::steady_timer timer_;
  Reaper& reaper_;
  ProbeTimeout timeout_;
  ProbeCallback done_;
  pid_t pid_ = 0;
  bool reaped_ = false;
};

}  // namespace

// A loopback connect is settled by the time connect() returns most of the time: the kernel runs
// the handshake with the listener (or refuses it) within that call, though a non-blocking socket
// is told EINPROGRESS all the same; a second connect() says how it ended (0, or the refusal).
// Then the probe costs what a bare connect costs, with neither an epoll registration nor a timer
// (issue 22, docs/benchmarks.md); its result still comes from the loop, as every probe's does. A
// connect still in progress (EALREADY: the listener's accept queue is full) is waited for, with
// the timeout. The socket is the thread's kept one (kept_socket.h): connect(AF_UNSPEC) resets the
// connection, as a linger-0 close would (no FIN exchange, no TIME_WAIT socket for the next 60 s:
// 6,000 of them with 500 gateways probed every 5 s), and readies the socket for the next probe.
// One whose connect failed is closed, not kept.
//
// The kept socket holds back the handshake's last ACK (TCP_DEFER_ACCEPT): the listener's SYN-ACK
// establishes the connection on this side, and the reset then ends the listener's half-open
// request before it ever became a connection. So the gateway is never woken for a probe and
// accepts nothing, and the probe costs half a full connect (the kernel makes no socket for the
// gateway's side, and wakes no process). It tells what a full connect tells: the kernel answers
// a SYN only for a listener whose accept queue has room (a full one drops it, and the probe waits
// as above). The listener's host counts it as a failed connection attempt (TcpAttemptFails).
void probe_tcp(asio::io_context& io, int port, ProbeTimeout timeout, ProbeCallback done) {
  auto settled = [&](ProbeResult result) {
    asio::post(io, [done = std::move(done), result = std::move(result)]() mutable {
      guarded(Handler::probe, [&] { done(std::move(result)); });
    });
  };
  auto& socket = kept_probe_socket();
  const int fd = socket.get();
  if (fd < 0) return settled(failed({errno, boost::system::system_category()}));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto connect = [&] { return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0; };
  bool connected = connect();
  int error = connected ? 0 : errno;
  if (error == EINPROGRESS) {
    connected = connect();
    error = connected ? 0 : errno;
  }
  if (error == EALREADY)
    return std::make_shared<SocketProbe>(io, port, std::nullopt, timeout, std::move(done))->wait_for_connect(socket.take());
  const sockaddr none{AF_UNSPEC, {}};
  if (!connected || ::connect(fd, &none, sizeof none) != 0) {
    const linger reset{1, 0};  // a connection that could not be ended so still ends with a reset
    if (connected) ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    socket.drop();
  } else {
    socket.used();
  }
  settled(connected ? ProbeResult{true, "the listener answered"} : failed({error, boost::system::system_category()}));
}

void probe_http(asio::io_context& io, int port, const std::string& path, ProbeTimeout timeout, ProbeCallback done) {
  std::make_shared<SocketProbe>(io, port, path, timeout, std::move(done))->start();
}

ProbeResult judge_startup(int status, std::string_view body) {
  if (status == 404) return {true, "startup path not served"};
  auto answer = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string phase;
  std::string pending;
  if (answer.is_object()) {
    phase = answer.value("status", std::string());
    pending = answer.value("pendingReason", std::string());
  }
  if (phase == "started") return {true, "started"};
  if (phase.empty()) return {false, fmt::format("HTTP {} without a startup status", status)};
  return {false, pending.empty() ? phase : phase + ": " + pending};
}

void probe_startup(asio::io_context& io, int port, const std::string& path, ProbeTimeout timeout, ProbeCallback done) {
  std::make_shared<SocketProbe>(io, port, path, timeout, std::move(done), judge_startup)->start();
}

void probe_exec(asio::io_context& io, Reaper& reaper, const std::vector<std::string>& argv, const Environment& env,
                const std::string& working_dir, ProbeTimeout timeout, ProbeCallback done, const Account* run_as) {
  SpawnRequest request{argv, env, working_dir, -1};
  request.run_as = run_as;
  std::make_shared<ExecProbe>(io, reaper, timeout, std::move(done))->start(std::move(request));
}

}  // namespace moltbot::runtime
