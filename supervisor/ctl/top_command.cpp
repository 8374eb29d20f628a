#include "top_command.h"

#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <stdexcept>

#include "control_client.h"
#include "exit_status.h"
#include "terminal_size.h"

namespace moltbot::ctl {

using nlohmann::json;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
volatile std::sig_atomic_t resized = 0;

void on_stop(int) { stop_requested = 1; }
void on_resize(int) { resized = 1; }

// The status of every profile, through the connection kept open for the whole view.
json fetch_status(ControlClient& client) {
  client.send({{"version", 1}, {"command", "status"}, {"args", json::object()}});
  while (auto message = client.next()) {
    if (!message->contains("ok")) continue;
    if (!(*message)["ok"].get<bool>()) throw std::runtime_error((*message)["error"].value("message", "status failed"));
    return (*message)["data"];
  }
  throw NotRunning("the supervisor closed the connection");
}

// The terminal in the view's mode while this lives: keys read one by one without echo, the
// alternate screen, no cursor; as it was before afterwards, whatever ends the view.
class FullScreen {
 public:
  FullScreen() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      keys_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    std::cout << "\033[?1049h\033[?25l" << std::flush;
  }
  ~FullScreen() {
    std::cout << "\033[?25h\033[?1049l" << std::flush;
    if (keys_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  FullScreen(const FullScreen&) = delete;
  FullScreen& operator=(const FullScreen&) = delete;

  bool keys() const { return keys_; }

 private:
  termios saved_{};
  bool keys_ = false;
};

void install_handlers() {
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: poll() returns at once with EINTR
  action.sa_handler = on_stop;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = on_resize;
  ::sigaction(SIGWINCH, &action, nullptr);
}

// The screen: header, table cut to the terminal's size, the rest cleared.
void draw(const json& profiles, TopSort sort) {
  const auto size = terminal_size();
  const int width = size.columns > 0 ? size.columns : 80;
  std::string screen = "\033[H" + top_header(profiles, sort, width);
  const auto table = top_table(profiles, sort, width, true);
  int lines = 1;
  for (std::size_t at = 0; at < table.size() && (size.rows <= 0 || lines < size.rows);) {
    const auto end = table.find('\n', at);
    screen += table.substr(at, end - at);
    screen += "\033[K\n";
    at = end == std::string::npos ? table.size() : end + 1;
    ++lines;
  }
  screen += "\033[J";
  std::cout << screen << std::flush;
}

int run_full_screen(ControlClient& client, TopSort sort, int iterations) {
  install_handlers();
  FullScreen screen;
  bool keys = screen.keys();
  for (int shown = 0; iterations == 0 || shown < iterations; ++shown) {
    const auto profiles = fetch_status(client);
    draw(profiles, sort);
    const auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      if (stop_requested) return exit_ok;
      if (std::exchange(resized, 0)) draw(profiles, sort);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd input{STDIN_FILENO, POLLIN, 0};
      const int ready = ::poll(&input, keys ? 1 : 0, static_cast<int>(left.count()));
      if (ready <= 0) continue;  // the second is over, or a signal: looked at above
      char key = 0;
      const ssize_t got = ::read(STDIN_FILENO, &key, 1);
      if (got == 0) keys = false;  // end of input: only the clock from now on
      if (got != 1) continue;
      if (key == 'q' || key == 'Q') return exit_ok;
      if (auto chosen = sort_for_key(key)) {
        sort = *chosen;
        draw(profiles, sort);
      }
    }
  }
  return exit_ok;
}

int run_plain(ControlClient& client, TopSort sort, int iterations) {
  for (int shown = 0; shown < std::max(iterations, 1); ++shown) {
    if (shown > 0) {
      std::cout << '\n';
      ::sleep(1);  // the refresh interval itself: nothing else to wait for
    }
    const auto profiles = fetch_status(client);
    std::cout << top_header(profiles, sort, 0) << top_table(profiles, sort, 0, false) << std::flush;
  }
  return exit_ok;
}

}  // namespace

int run_top(const std::string& socket_path, TopSort sort, int iterations) {
  ControlClient client(socket_path);
  if (::isatty(STDOUT_FILENO) == 1) return run_full_screen(client, sort, iterations);
  return run_plain(client, sort, iterations);
}

}  // namespace moltbot::ctl
