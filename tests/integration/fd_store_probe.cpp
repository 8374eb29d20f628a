// A process on either side of the file-descriptor store, for test_fd_store:
//   fd_store_probe store NAME=TEXT...  a pipe per NAME with TEXT in it; its read end stored as NAME
//   fd_store_probe remove NAME...      FDSTOREREMOVE=1 for each NAME
//   fd_store_probe receive NAME...     takes the passed descriptors (PassedFds) and prints, for each
//                                      NAME, "NAME: TEXT" (what its pipe holds) or "NAME: none";
//                                      then "close-on-exec: yes|no", "env: LISTEN_*...|clean",
//                                      "untaken: NAMES", "open: FDS" (of 3..15, after closing the rest)
// Exit 0, or 1 with the reason on stderr.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/runtime/fd_store.h"

using namespace moltbot;
using namespace moltbot::runtime;

namespace {

int failed(const std::string& what, int error) {
  std::cerr << what << ": " << std::strerror(error) << "\n";
  return 1;
}

int store(const runtime::FdStore& fd_store, const std::string& entry) {
  const auto equals = entry.find('=');
  if (equals == std::string::npos) return failed("not NAME=TEXT: " + entry, EINVAL);
  const std::string name = entry.substr(0, equals), text = entry.substr(equals + 1) + "\n";
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return failed("pipe", errno);
  if (::write(pipe[1], text.data(), text.size()) != static_cast<ssize_t>(text.size())) return failed("write", errno);
  if (int error = fd_store.store(name, pipe[0]); error != 0) return failed("store " + name, error);
  return 0;
}

// What the pipe holds now, without waiting for more.
std::string drain(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

int receive(const std::vector<std::string>& names) {
  auto passed = PassedFds::from_environment(current_environment());
  bool all_cloexec = true;
  for (const auto& name : names) {
    auto fd = passed.take(name);
    if (!fd) {
      std::cout << name << ": none\n";
      continue;
    }
    all_cloexec = all_cloexec && (::fcntl(*fd, F_GETFD) & FD_CLOEXEC);
    std::cout << name << ": " << drain(*fd) << "\n";
    ::close(*fd);
  }
  std::cout << "close-on-exec: " << (all_cloexec ? "yes" : "no") << "\n";
  std::string env;
  for (const char* variable : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"})
    if (::getenv(variable)) env += std::string(env.empty() ? "" : " ") + variable;
  std::cout << "env: " << (env.empty() ? "clean" : env) << "\n";
  std::string untaken;
  for (const auto& name : passed.close_untaken()) untaken += (untaken.empty() ? "" : " ") + name;
  std::cout << "untaken: " << untaken << "\n";
  std::string open;
  for (int fd = 3; fd <= 15; ++fd)
    if (::fcntl(fd, F_GETFD) >= 0) open += (open.empty() ? "" : " ") + std::to_string(fd);
  std::cout << "open: " << open << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return failed("usage: fd_store_probe store|remove|receive ...", EINVAL);
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "receive") return receive(rest);
  auto fd_store = FdStore::from_environment(current_environment());
  if (!fd_store) return failed("no file-descriptor store", ENOENT);
  for (const auto& entry : rest) {
    if (args[0] == "store") {
      if (int status = store(*fd_store, entry); status != 0) return status;
    } else if (int error = fd_store->remove(entry); error != 0) {
      return failed("remove " + entry, error);
    }
  }
  return 0;
}
