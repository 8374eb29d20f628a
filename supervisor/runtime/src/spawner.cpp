// Boost.Process 1.74 decides vfork support from the feature macros of old glibc manuals and
// finds none under _GNU_SOURCE, although glibc declares vfork there; without this its
// `use_vfork` fails to link. Same value as Boost's own definition, so no redefinition clash.
#define BOOST_POSIX_HAS_VFORK 1

#include "moltbot/runtime/spawner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <climits>
#include <cstring>

#include "moltbot/common/program_lookup.h"
#include "moltbot/runtime/pidfd.h"

namespace moltbot::runtime {

namespace bp = boost::process;

namespace {

// What went wrong between vfork and exec. The vfork child shares our memory, so it writes this
// directly; the parent reads it once the child has exec'd or exited.
struct ChildFailure {
  enum Stage { none, cgroup, setup, nofile, oom_score, credentials, chdir, exec } stage = none;
  int error = 0;
};

// The Boost.Process extension that turns the vfork child into a supervised gateway. vfork keeps
// respawn fast (no page-table copy of the supervisor); the price is that the child runs on our
// memory until exec, so it only makes async-signal-safe calls and allocates nothing.
class SupervisedChild : public bp::extend::handler {
 public:
  SupervisedChild(const std::string& working_dir, int input_fd, int output_fd, int error_fd, int cgroup_procs_fd,
                  OnParentDeath on_parent_death, const Account* run_as, const ChildLimits* limits, char** envp,
                  pid_t parent, ChildFailure& failure)
      : working_dir_(working_dir), input_fd_(input_fd), output_fd_(output_fd), error_fd_(error_fd),
        cgroup_procs_fd_(cgroup_procs_fd), on_parent_death_(on_parent_death), run_as_(run_as), limits_(limits),
        envp_(envp), parent_(parent), failure_(failure) {}

  // Until the child has reset every handler, a signal must not run one of ours on our memory
  // in the child: block them all around vfork.
  template <typename Executor>
  void on_setup(Executor& exec) const {
    // Handed over as a ready array: Boost 1.74's environment lookup reads past its buffers
    // (ASan) with a full shell environment.
    exec.env = envp_;
    sigset_t all;
    ::sigfillset(&all);
    ::sigprocmask(SIG_SETMASK, &all, &saved_mask_);
  }
  template <typename Executor>
  void on_success(Executor&) const {
    ::sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
  }
  template <typename Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    ::sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
    failed_pid_ = exec.pid;
  }

  template <typename Executor>
  void on_exec_setup(Executor&) const {
    // First of all: whatever the child does from here on, its descendants included, happens in
    // the cgroup ("0" moves the writer).
    if (cgroup_procs_fd_ >= 0 && ::write(cgroup_procs_fd_, "0", 1) != 1) fail(ChildFailure::cgroup);

    // Ignored dispositions survive exec (SIGPIPE in the supervisor): restore every default.
    for (int sig = 1; sig < NSIG; ++sig)
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    if (::setpgid(0, 0) != 0) fail(ChildFailure::setup);
    if (limits_) apply_limits();
    // Before PR_SET_PDEATHSIG: a change of uid or gid clears it.
    if (run_as_) drop_privileges();
    if (on_parent_death_ == OnParentDeath::die && ::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
      fail(ChildFailure::setup);
    // The supervisor died before prctl, or before it could record the child at all: nobody to serve.
    if (::getppid() != parent_) ::_exit(127);

    // /dev/null goes in the slot stdin leaves: a child of a supervisor at its descriptor limit
    // needs no descriptor more than the parent had.
    if (input_fd_ != STDIN_FILENO && output_fd_ != STDIN_FILENO && error_fd_ != STDIN_FILENO) ::close(STDIN_FILENO);
    int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd < 0) fail(ChildFailure::setup);
    int input = input_fd_ >= 0 ? input_fd_ : null_fd;
    int output = output_fd_ >= 0 ? output_fd_ : null_fd;
    int error = error_fd_ == SpawnRequest::same_as_output ? output : error_fd_ >= 0 ? error_fd_ : null_fd;
    if (::dup2(input, 0) < 0 || ::dup2(output, 1) < 0 || ::dup2(error, 2) < 0) fail(ChildFailure::setup);
    ::close_range(3, UINT_MAX, 0);  // nothing of the supervisor's leaks into a gateway

    if (!working_dir_.empty() && ::chdir(working_dir_.c_str()) != 0) fail(ChildFailure::chdir);
  }

  template <typename Executor>
  void on_exec_error(Executor&, const std::error_code& error) const {
    failure_.stage = ChildFailure::exec;
    failure_.error = error.value();
  }

  pid_t failed_pid() const { return failed_pid_; }

 private:
  // Raw system calls: glibc's setresuid() and friends would tell every thread of the supervisor,
  // whose memory this vfork child shares, to change its ids too; the kernel's change only this task.
  void drop_privileges() const {
#ifdef SYS_setresuid32  // 32-bit x86 and Arm: the plain calls take 16-bit ids
    constexpr long setgroups_call = SYS_setgroups32, setresgid_call = SYS_setresgid32, setresuid_call = SYS_setresuid32;
#else
    constexpr long setgroups_call = SYS_setgroups, setresgid_call = SYS_setresgid, setresuid_call = SYS_setresuid;
#endif
    const Account& account = *run_as_;
    if (::syscall(setgroups_call, account.groups.size(), account.groups.data()) != 0) fail(ChildFailure::credentials);
    if (::syscall(setresgid_call, account.gid, account.gid, account.gid) != 0) fail(ChildFailure::credentials);
    // Nothing the gateway executes may gain a capability back (file capabilities, setuid root
    // binaries): an empty bounding set, while CAP_SETPCAP still allows emptying it, and no new
    // privileges. The uid change below clears the permitted, effective and ambient sets.
    for (int capability = 0; ::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0; ++capability) {
    }
    if (errno != EINVAL) fail(ChildFailure::credentials);  // EINVAL: past the last capability
    if (::syscall(setresuid_call, account.uid, account.uid, account.uid) != 0) fail(ChildFailure::credentials);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(ChildFailure::credentials);
  }

  void apply_limits() const {
    if (limits_->nofile > 0) {
      const rlimit files{static_cast<rlim_t>(limits_->nofile), static_cast<rlim_t>(limits_->nofile)};
      if (::setrlimit(RLIMIT_NOFILE, &files) != 0) fail(ChildFailure::nofile);
    }
    if (!limits_->oom_score_adj.empty()) {
      const int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      const auto& text = limits_->oom_score_adj;
      if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) fail(ChildFailure::oom_score);
      ::close(fd);
    }
  }

  [[noreturn]] void fail(ChildFailure::Stage stage) const {
    failure_.stage = stage;
    failure_.error = errno;
    ::_exit(127);
  }

  const std::string& working_dir_;
  int input_fd_;
  int output_fd_;
  int error_fd_;
  int cgroup_procs_fd_;
  OnParentDeath on_parent_death_;
  const Account* run_as_;
  const ChildLimits* limits_;
  char** envp_;
  pid_t parent_;
  ChildFailure& failure_;
  mutable sigset_t saved_mask_{};
  mutable pid_t failed_pid_ = -1;
};

// The child has called _exit: vfork returned to us only then, and the kernel ends the rest of its
// exit within microseconds. It is waited for here (bounded: this runs on the event loop) and
// reaped, so it has left its cgroup when the failure is reported: a profile removed, or a
// supervisor ending, right after a failed start would otherwise find the cgroup still populated
// and leave it behind, empty (the feeds unit test did, one run in three). One that takes longer
// is collected by the Reaper's waitpid(-1), as an orphan.
void reap_failed_child(pid_t pid) {
  constexpr int exit_wait_ms = 100;
  if (auto handle = Pidfd::open(pid)) {
    pollfd exited{handle->get(), POLLIN, 0};
    ::poll(&exited, 1, exit_wait_ms);
  }
  ::waitpid(pid, nullptr, WNOHANG);
}

}  // namespace

Spawned spawn(const SpawnRequest& request) {
  return spawn(request.argv, request.env, request.working_dir, request.output_fd, request.error_fd,
               request.cgroup_procs_fd, request.on_parent_death, request.run_as, request.input_fd, request.limits);
}

Spawned spawn(const std::vector<std::string>& argv, const Environment& env, const std::string& working_dir,
              int output_fd, int error_fd, int cgroup_procs_fd, OnParentDeath on_parent_death,
              const Account* run_as, int input_fd, const ChildLimits* limits) {
  if (argv.empty()) return std::string("empty command");
  auto found = resolve_program(argv.front(), env);
  // Not exec'd as a bare name, which would mean a file of that name in the working directory.
  if (!found)
    return fmt::format("cannot execute {}: not found in PATH ({})", argv.front(), lookup(env, "PATH").value_or(""));
  const std::string& program = *found;
  // Every NAME=VALUE in one buffer, one allocation instead of one per variable. It is filled
  // without growing past the size reserved, so the pointers into it stay valid.
  std::size_t size = 0;
  for (const auto& [name, value] : env) size += name.size() + value.size() + 2;
  std::string entries;
  entries.reserve(size);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const auto& [name, value] : env) {
    envp.push_back(entries.data() + entries.size());
    entries.append(name).append(1, '=').append(value).append(1, '\0');
  }
  envp.push_back(nullptr);
  std::vector<std::string> args(argv.begin() + 1, argv.end());

  ChildFailure failure;
  SupervisedChild setup(working_dir, input_fd, output_fd, error_fd, cgroup_procs_fd, on_parent_death, run_as, limits,
                        envp.data(), ::getpid(), failure);
  std::error_code spawn_error;
  bp::child child(bp::exe = program, bp::args = args, setup, bp::posix::use_vfork, spawn_error);

  pid_t pid = child.valid() ? child.id() : setup.failed_pid();
  // Reaping and signalling belong to the Reaper and the caller, not to Boost's child object
  // (whose destructor would SIGKILL a running child).
  if (child.valid()) child.detach();
  if (failure.stage == ChildFailure::none && !spawn_error) {
    // Also from this side, so signalling the group works even before the child ran setpgid.
    ::setpgid(pid, pid);
    return pid;
  }

  if (pid > 0) reap_failed_child(pid);
  if (failure.stage == ChildFailure::none && is_shortage(spawn_error.value()))
    return shortage_of("cannot start a process", spawn_error.value());
  if (failure.stage != ChildFailure::none && is_shortage(failure.error))
    return shortage_of(failure.stage == ChildFailure::exec ? "cannot execute " + program : "cannot set up the child process",
                       failure.error);
  switch (failure.stage) {
    case ChildFailure::chdir:
      return fmt::format("cannot change to working directory {}: {}", working_dir, std::strerror(failure.error));
    case ChildFailure::exec:
      return fmt::format("cannot execute {}: {}", program, std::strerror(failure.error));
    case ChildFailure::setup:
      return fmt::format("cannot set up the child process: {}", std::strerror(failure.error));
    case ChildFailure::credentials:
      return fmt::format("cannot switch to user \"{}\" (uid {}, gid {}): {}", run_as->user, run_as->uid, run_as->gid,
                         std::strerror(failure.error));
    case ChildFailure::nofile:
      return fmt::format("cannot set the open files limit (limits.nofile) to {}: {}", limits->nofile,
                         std::strerror(failure.error));
    case ChildFailure::oom_score:
      return fmt::format("cannot set oom_score_adj (limits.oom_score_adj) to {}: {}", limits->oom_score_adj,
                         std::strerror(failure.error));
    case ChildFailure::cgroup:
      return fmt::format("cannot move the child process into its cgroup: {}", std::strerror(failure.error));
    case ChildFailure::none:
      break;
  }
  return fmt::format("cannot start {}: {}", program, spawn_error.message());
}

}  // namespace moltbot::runtime
