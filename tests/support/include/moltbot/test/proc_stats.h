#pragma once
// What /proc says about a running process, for tests and benchmarks that watch the supervisor.
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::test {

// Field `key` of /proc/PID/status as written, without the name and the blanks after it ("Uid" ->
// "1001\t1001\t1001\t1001"); nullopt when the process or the field is gone.
std::optional<std::string> status_field(pid_t pid, std::string_view key);
// Field `key` of /proc/PID/status in KiB ("VmRSS", "VmHWM", "RssAnon"), -1 when the process
// is gone.
long status_kib(pid_t pid, std::string_view key);
// VmRSS of /proc/PID/status in KiB, -1 when the process is gone.
long rss_kib(pid_t pid);
// utime + stime of /proc/PID/stat, in milliseconds.
double cpu_time_ms(pid_t pid);
// When the process started: clock ticks since boot (/proc/PID/stat field 22); orders the starts
// of processes.
unsigned long long start_ticks(pid_t pid);
// The entries of /proc/PID/fd.
std::size_t open_descriptors(pid_t pid);
// Whether the process ignores `signal` (SigIgn of /proc/PID/status): a helper of the gateway's
// ignore_sigterm fault is ready to outlive a SIGTERM only once it does.
bool ignores_signal(pid_t pid, int signal);

}  // namespace moltbot::test
