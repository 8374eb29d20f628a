#include "moltbot/runtime/guarded.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <stdexcept>
#include <utility>

namespace moltbot::runtime {

namespace {

constexpr const char* test_throw_variable = "MOLTBOT_SUPERVISOR_TEST_THROW";

constexpr std::array<std::pair<Handler, std::string_view>, 18> names{{
    {Handler::timer, "timer"},
    {Handler::exit, "exit"},
    {Handler::probe, "probe"},
    {Handler::output, "output"},
    {Handler::cli, "cli"},
    {Handler::request, "request"},
    {Handler::session, "session"},
    {Handler::stream, "stream"},
    {Handler::wait, "wait"},
    {Handler::accept, "accept"},
    {Handler::reload, "reload"},
    {Handler::status_file, "status-file"},
    {Handler::notify, "notify"},
    {Handler::signal, "signal"},
    {Handler::reserve, "reserve"},
    {Handler::reexec, "reexec"},
    {Handler::reaper, "reaper"},
    {Handler::observer, "observer"},
}};

bool is_backstop(Handler kind) { return kind == Handler::reaper || kind == Handler::observer; }

bool has_profile(Handler kind) {
  switch (kind) {
    case Handler::timer:
    case Handler::exit:
    case Handler::probe:
    case Handler::output:
    case Handler::cli:
    case Handler::request: return true;
    default: return false;
  }
}

// The test fault: armed by configure_test_throw, spent by the first handler it names.
struct TestThrow {
  Handler kind;
  std::string profile;  // empty: any (or none)
  std::string spec;
};
std::optional<TestThrow> armed;

std::string what_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& exception) {
    return exception.what();
  } catch (...) {
  }
  return "unknown exception";
}

}  // namespace

std::string_view handler_name(Handler kind) {
  for (const auto& [known, name] : names)
    if (known == kind) return name;
  return "unknown";
}

std::string internal_error(Handler kind, std::string_view profile, std::exception_ptr error) {
  const std::string what = what_of(std::move(error));
  if (profile.empty()) return fmt::format("internal error in {} handler: {}", handler_name(kind), what);
  return fmt::format("internal error in {} handler of profile {}: {}", handler_name(kind), profile, what);
}

std::optional<std::string> configure_test_throw(const Environment& env) {
  armed.reset();
  auto spec = lookup(env, test_throw_variable);
  if (!spec || spec->empty()) return std::nullopt;
  const auto comma = spec->find(',');
  const std::string kind_name = spec->substr(0, comma);
  const std::string profile = comma == std::string::npos ? std::string() : spec->substr(comma + 1);
  for (const auto& [kind, name] : names) {
    if (name != kind_name || is_backstop(kind)) continue;
    if (!profile.empty() && !has_profile(kind))
      return fmt::format("{}=\"{}\": a {} handler belongs to no profile", test_throw_variable, *spec, name);
    if (comma != std::string::npos && profile.empty())
      return fmt::format("{}=\"{}\": the profile after the comma is empty", test_throw_variable, *spec);
    armed = TestThrow{kind, profile, *spec};
    return std::nullopt;
  }
  std::string known;
  for (const auto& [kind, name] : names)
    if (!is_backstop(kind)) known += (known.empty() ? "" : ", ") + std::string(name);
  return fmt::format("{}=\"{}\": unknown handler kind \"{}\" (one of {})", test_throw_variable, *spec, kind_name,
                     known);
}

void throw_test_fault_if_armed(Handler kind, std::string_view profile) {
  if (!armed || armed->kind != kind || (!armed->profile.empty() && armed->profile != profile)) return;
  const std::string message = fmt::format("test fault ({}={})", test_throw_variable, armed->spec);
  armed.reset();
  throw std::runtime_error(message);
}

void log_internal_error(const std::string& failure) { spdlog::error("{}", failure); }

void log_containment_failure(const std::string& failure, std::exception_ptr error) {
  // The owner may be left as the failure left it; the event loop and every other owner go on.
  spdlog::critical("{}; handling it failed too: {}", failure, what_of(std::move(error)));
}

}  // namespace moltbot::runtime
