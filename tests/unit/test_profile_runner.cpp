// The profile state machine under a fake clock and a fake child: every transition of issue 5
// that does not need a real process.
#include <signal.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "moltbot/runtime/profile_runner.h"

using namespace moltbot::runtime;
using namespace std::chrono_literals;
using moltbot::config::Profile;

namespace {

class FakeDeadline final : public Deadline {
 public:
  TimePoint now() const override { return now_; }
  void arm(TimePoint when) override { armed_ = when; }
  void cancel() override { armed_.reset(); }
  std::optional<TimePoint> due() const override { return armed_; }
  void on_expiry(std::function<void()> handler) override { handler_ = std::move(handler); }

  std::optional<TimePoint> armed() const { return armed_; }
  std::chrono::milliseconds remaining() const {
    REQUIRE(armed_);
    return std::chrono::duration_cast<std::chrono::milliseconds>(*armed_ - now_);
  }
  // Moves the clock to the armed deadline and fires it.
  void expire() {
    REQUIRE(armed_);
    now_ = *armed_;
    armed_.reset();
    handler_();
  }
  void advance(std::chrono::milliseconds by) { now_ += by; }

 private:
  TimePoint now_ = TimePoint{} + 1000h;
  std::optional<TimePoint> armed_;
  std::function<void()> handler_;
};

class FakeChild final : public ChildControl {
 public:
  Prepared prepare() override {
    ++prepares;
    if (prepare_refusal) return Refusal{*prepare_refusal};
    if (prepare_shortage) return *prepare_shortage;
    if (prepare_error) return *prepare_error;
    return std::monostate{};
  }
  std::optional<std::string> port_conflict() override { return conflict; }
  bool settle_restart_mode(std::function<void()> settled) override {
    maybe_throw("settle_restart_mode");
    if (mode_settled) return true;
    settlements.push_back(std::move(settled));
    return false;
  }
  bool restarts_externally() const override { return support.mode == moltbot::config::RestartMode::external; }
  const HandoffSupport& restart_support() const override { return support; }
  void consume_handoff(pid_t exited, std::function<void(HandoffVerdict)> done) override {
    consumed_pids.push_back(exited);
    consumes.push_back(std::move(done));
  }
  Spawned spawn(std::function<void(ExitStatus)> on_exit) override {
    if (spawn_shortage) return *spawn_shortage;
    if (spawn_error) return *spawn_error;
    on_exit_ = std::move(on_exit);
    ++spawns;
    return pid = 1000 + spawns;
  }
  void signal_all(int signal) override {
    maybe_throw("signal_all");
    signals.push_back(signal);
  }
  bool has_leftovers() override {
    maybe_throw("has_leftovers");
    return leftovers;
  }
  void probe(ProbeKind kind, ProbeCallback done) override {
    (kind == ProbeKind::liveness ? liveness : kind == ProbeKind::startup ? startup : readiness).push_back(std::move(done));
  }
  void note(const std::string& line) override {
    maybe_throw("note");
    notes.push_back(line);
  }
  std::vector<std::string> recent_output(std::size_t) const override { return {"last words"}; }

  void exit(ExitStatus status) {
    REQUIRE(on_exit_);
    auto on_exit = std::move(on_exit_);
    on_exit_ = nullptr;
    on_exit(status);
  }
  void answer_liveness(bool ok, std::string detail = "HTTP 200") {
    REQUIRE(!liveness.empty());
    auto done = std::move(liveness.front());
    liveness.pop_front();
    done({ok, ok ? detail : (detail == "HTTP 200" ? "timed out after 2000 ms" : detail)});
  }

  // The supervisor could not probe (its own shortage).
  void answer_inconclusive(std::deque<ProbeCallback>& probes, std::string detail) {
    REQUIRE(!probes.empty());
    auto done = std::move(probes.front());
    probes.pop_front();
    done({false, std::move(detail), Shortage{"probe socket: Too many open files", EMFILE}});
  }

  void answer_startup(bool ok, std::string detail) {
    REQUIRE(!startup.empty());
    auto done = std::move(startup.front());
    startup.pop_front();
    done({ok, std::move(detail)});
  }
  // The negotiation under way ends with `answer`.
  void settle(HandoffSupport answer) {
    REQUIRE(!settlements.empty());
    support = std::move(answer);
    mode_settled = true;
    for (auto& settled : std::exchange(settlements, {})) settled();
  }
  void answer_consume(HandoffVerdict verdict) {
    REQUIRE(!consumes.empty());
    auto done = std::move(consumes.front());
    consumes.pop_front();
    done(std::move(verdict));
  }

  // The next `times` calls of `call` (a ChildControl member) throw, as a bug in a handler would.
  void throw_in(std::string call, int times = 1) {
    throwing_call = std::move(call);
    throws_left = times;
  }

  std::optional<std::string> prepare_error, prepare_refusal, conflict, spawn_error;
  std::optional<Shortage> prepare_shortage, spawn_shortage;
  int prepares = 0;
  bool mode_settled = true;
  HandoffSupport support{moltbot::config::RestartMode::in_process, "not asked"};
  std::vector<std::function<void()>> settlements;
  std::deque<std::function<void(HandoffVerdict)>> consumes;
  std::vector<pid_t> consumed_pids;
  std::deque<ProbeCallback> startup;
  bool leftovers = false;
  int spawns = 0;
  pid_t pid = 0;
  std::vector<int> signals;
  std::deque<ProbeCallback> liveness, readiness;
  std::vector<std::string> notes;

 private:
  void maybe_throw(const char* call) {
    if (throws_left == 0 || throwing_call != call) return;
    --throws_left;
    throw std::runtime_error(std::string("boom in ") + call);
  }

  std::function<void(ExitStatus)> on_exit_;
  std::string throwing_call;
  int throws_left = 0;
};

Profile test_profile() {
  Profile profile;
  profile.name = "main";
  profile.ports.gateway = 18789;
  profile.restart.backoff = {100ms, 1600ms, 2.0};
  profile.restart.max_restarts = 5;
  profile.restart.window = 60000ms;
  profile.restart.reset_after = 10000ms;
  profile.health.interval = 1000ms;
  profile.health.timeout = 500ms;
  profile.health.failures = 3;
  profile.health.start_period = 3000ms;
  profile.stop.timeout = 2000ms;
  return profile;
}

struct Harness {
  explicit Harness(Profile profile = test_profile()) {
    runner = ProfileRunner::create(std::make_shared<const Profile>(std::move(profile)), child, deadline,
                                   [this](const ProfileEvent& event) {
                                     events.push_back(event);
                                     spawns_at_event.push_back(child.spawns);
                                   },
                                   [] { return 0.5; });  // jitter factor exactly 1.0
  }
  State state() const { return runner->status().state; }
  // Start, first probe healthy: running.
  void bring_up() {
    runner->start();
    REQUIRE(state() == State::starting);
    deadline.expire();
    child.answer_liveness(true);
    REQUIRE(state() == State::running);
  }

  FakeDeadline deadline;
  FakeChild child;
  std::vector<ProfileEvent> events;
  std::vector<int> spawns_at_event;  // how many children had been spawned when each event arrived
  std::shared_ptr<ProfileRunner> runner;
};

}  // namespace

TEST_CASE("a started profile becomes running on its first healthy probe") {
  Harness h;
  h.runner->start();
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().pid == 1001);
  CHECK(h.deadline.remaining() == 250ms);  // first probe one start_interval after the spawn
  h.deadline.expire();
  h.child.answer_liveness(true);
  auto status = h.runner->status();
  CHECK(status.state == State::running);
  CHECK(status.health == "healthy");
  CHECK(status.restarts == 0);
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[0].current == State::starting);
  CHECK(h.events[1].previous == State::starting);
  CHECK(h.events[1].current == State::running);
}

TEST_CASE("a zero backoff restarts with the next turn of the event loop: a deadline due at once") {
  auto profile = test_profile();
  profile.restart.backoff = {0ms, 1ms, 1.0};
  Harness h(profile);
  h.bring_up();
  h.events.clear();
  h.spawns_at_event.clear();
  h.child.notes.clear();
  h.child.exit(ExitStatus::exited(1));
  CHECK(h.state() == State::backoff);
  CHECK(h.deadline.remaining() == 0ms);
  CHECK(h.child.spawns == 1);
  h.deadline.expire();
  CHECK(h.state() == State::starting);
  CHECK(h.child.spawns == 2);
  REQUIRE(h.events.size() == 2);
  CHECK(h.events[0].current == State::backoff);
  CHECK(h.events[0].message == "exit status 1; restarting at once");
  CHECK(h.events[1].current == State::starting);
  CHECK(h.runner->status().restarts == 1);
  CHECK(h.spawns_at_event == std::vector<int>{1, 2});
  CHECK(h.child.notes == std::vector<std::string>{"backoff: exit status 1; restarting at once",
                                                  "starting: started pid 1002, waiting for a healthy probe"});
}

TEST_CASE("a start that fails inside the call with a zero backoff is retried from the loop, never recursively") {
  auto profile = test_profile();
  profile.restart.backoff = {0ms, 1ms, 1.0};
  profile.restart.max_restarts = 1000000;
  Harness h(profile);
  h.child.spawn_error = "cannot execute /nope: No such file or directory";
  h.runner->start();
  // One attempt per call: before, start() retried within itself, one stack frame per restart.
  CHECK(h.child.prepares == 1);
  CHECK(h.state() == State::backoff);
  CHECK(h.deadline.remaining() == 0ms);
  for (int turn = 1; turn <= 100000; ++turn) {
    h.deadline.expire();
    REQUIRE(h.child.prepares == turn + 1);
  }
  CHECK(h.runner->status().restarts == 100001);
  CHECK(h.state() == State::backoff);
  h.runner->stop();
  CHECK(h.state() == State::stopped);
  CHECK_FALSE(h.deadline.armed());
}

TEST_CASE("a crash loop backs off exponentially and ends fatal with the last exit kept") {
  Harness h;
  h.bring_up();
  std::vector<std::chrono::milliseconds> delays;
  for (int crash = 0; crash < 5; ++crash) {
    h.child.exit(ExitStatus::exited(1));
    REQUIRE(h.state() == State::backoff);
    delays.push_back(h.deadline.remaining());
    h.deadline.expire();
    REQUIRE(h.state() == State::starting);
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1600ms});
  CHECK(h.runner->status().restarts == 5);

  h.child.exit(ExitStatus::exited(1));  // the sixth within the window: over budget
  auto status = h.runner->status();
  CHECK(status.state == State::fatal);
  CHECK_THAT(status.reason, Catch::Contains("5 restarts within 1m") && Catch::Contains("exit status 1"));
  REQUIRE(status.last_exit);
  CHECK(status.last_exit->status->code == 1);
  CHECK(status.last_lines == std::vector<std::string>{"last words"});
  CHECK_FALSE(h.deadline.armed());
  CHECK(h.runner->at_rest());
}

TEST_CASE("the backoff delay is capped at max") {
  Harness h;
  h.runner->start();
  for (int crash = 0; crash < 5; ++crash) {
    h.child.exit(ExitStatus::killed(SIGSEGV));
    h.deadline.expire();
  }
  // Budget of 5 spent; a fresh window lets it continue at the cap.
  h.deadline.advance(61000ms);
  h.child.exit(ExitStatus::killed(SIGSEGV));
  CHECK(h.state() == State::backoff);
  CHECK(h.deadline.remaining() == 1600ms);
}

TEST_CASE("restarts older than the window no longer count") {
  Harness h;
  h.runner->start();
  for (int round = 0; round < 12; ++round) {
    h.child.exit(ExitStatus::exited(1));
    REQUIRE(h.state() == State::backoff);
    h.deadline.expire();
    h.deadline.advance(20000ms);  // three restarts per 60 s window at most
  }
  CHECK(h.runner->status().restarts == 12);
}

TEST_CASE("a long healthy run resets the backoff") {
  Harness h;
  h.bring_up();
  h.child.exit(ExitStatus::exited(1));
  CHECK(h.deadline.remaining() == 100ms);
  h.deadline.expire();
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.child.exit(ExitStatus::exited(1));
  CHECK(h.deadline.remaining() == 200ms);  // healthy only ~1 s: the backoff grows
  h.deadline.expire();
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.deadline.advance(10000ms);  // healthy for reset_after
  h.child.exit(ExitStatus::exited(1));
  CHECK(h.deadline.remaining() == 100ms);
}

TEST_CASE("exit 78 parks the profile as fatal until reset") {
  Harness h;
  h.bring_up();
  h.child.exit(ExitStatus::exited(78));
  auto status = h.runner->status();
  CHECK(status.state == State::fatal);
  CHECK_THAT(status.reason, Catch::Contains("exit status 78") && Catch::Contains("until reset"));
  CHECK(status.restarts == 0);
  CHECK(h.child.spawns == 1);

  h.runner->start();  // start does not leave fatal
  CHECK(h.state() == State::fatal);
  h.runner->restart();
  CHECK(h.state() == State::fatal);

  h.runner->reset();
  CHECK(h.state() == State::starting);
  CHECK(h.child.spawns == 2);
}

TEST_CASE("restart policies") {
  SECTION("on-failure: 143 and 0 are clean exits") {
    auto profile = test_profile();
    profile.restart.policy = moltbot::config::RestartPolicy::on_failure;
    Harness h(profile);
    h.bring_up();
    h.child.exit(ExitStatus::exited(143));
    CHECK(h.state() == State::stopped);
    h.runner->start();
    h.child.exit(ExitStatus::exited(0));
    CHECK(h.state() == State::stopped);
    h.runner->start();
    h.child.exit(ExitStatus::exited(2));
    CHECK(h.state() == State::backoff);
  }
  SECTION("never: any exit stops it") {
    auto profile = test_profile();
    profile.restart.policy = moltbot::config::RestartPolicy::never;
    Harness h(profile);
    h.bring_up();
    h.child.exit(ExitStatus::killed(SIGKILL));
    CHECK(h.state() == State::stopped);
    CHECK(h.runner->status().last_exit->status->signal == SIGKILL);
  }
  SECTION("always: a clean exit restarts too") {
    Harness h;
    h.bring_up();
    h.child.exit(ExitStatus::exited(0));
    CHECK(h.state() == State::backoff);
  }
}

TEST_CASE("a child that stops answering is restarted after the failure threshold") {
  Harness h;
  h.bring_up();
  h.deadline.expire();
  h.child.answer_liveness(false);
  CHECK(h.state() == State::unhealthy);
  h.deadline.expire();
  h.child.answer_liveness(false);
  CHECK(h.state() == State::unhealthy);
  CHECK(h.child.signals.empty());
  h.deadline.expire();
  h.child.answer_liveness(false);
  CHECK(h.state() == State::stopping);
  // SIGCONT follows, or a SIGSTOPped child would keep the SIGTERM pending forever.
  CHECK(h.child.signals == std::vector<int>{SIGTERM, SIGCONT});
  CHECK(h.deadline.remaining() == 2000ms);

  h.child.exit(ExitStatus::killed(SIGTERM));
  auto status = h.runner->status();
  CHECK(status.state == State::backoff);  // a health restart is not a clean exit
  CHECK_THAT(status.reason, Catch::Contains("health check failed 3 times"));
  CHECK(status.restarts == 1);
}

TEST_CASE("a healthy probe in between resets the failure count") {
  Harness h;
  h.bring_up();
  for (int i = 0; i < 2; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(false);
  }
  h.deadline.expire();
  h.child.answer_liveness(true);
  CHECK(h.state() == State::running);
  for (int i = 0; i < 2; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(false);
  }
  CHECK(h.state() == State::unhealthy);
}

TEST_CASE("failures in the start period do not count, and probes come every start_interval within it") {
  Harness h;
  h.runner->start();
  // t = 0.25 s .. 2.75 s: inside the 3 s start period, every 250 ms, none counted.
  for (int i = 0; i < 11; ++i) {
    CHECK(h.deadline.remaining() == 250ms);
    h.deadline.expire();
    h.child.answer_liveness(false, "connection refused");
    CHECK(h.state() == State::starting);
  }
  CHECK_THAT(h.runner->status().reason, Catch::Contains("start period"));
  // From t = 3 s on, failures count, at the health interval.
  for (int i = 0; i < 2; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(false, "connection refused");
    CHECK(h.state() == State::starting);
    CHECK(h.deadline.remaining() == 1000ms);
  }
  h.deadline.expire();
  h.child.answer_liveness(false, "connection refused");
  CHECK(h.state() == State::stopping);
}

TEST_CASE("running tcp and http probes fall on a grid of a tenth of the interval; exec probes do not") {
  // Interval 1 s: 100 ms slots, the nearest one taken, so the cadence holds on average.
  auto waits_for = [](Profile profile) {
    Harness h(std::move(profile));
    h.deadline.advance(37ms);  // a start off the grid
    h.bring_up();              // the first probe one start_interval (250 ms) after the spawn
    std::vector<std::chrono::milliseconds> waits;
    for (int i = 0; i < 3; ++i) {
      waits.push_back(h.deadline.remaining());
      h.deadline.expire();
      h.child.answer_liveness(true);
      h.child.readiness.clear();  // readiness answers change no deadline
    }
    return waits;
  };
  using Waits = std::vector<std::chrono::milliseconds>;
  auto profile = test_profile();  // http
  // Probed at 0.287 s, then 1.3, 2.3, 3.3: due at 1.287 s, the nearest slot is 1.3 s.
  CHECK(waits_for(profile) == Waits{1013ms, 1000ms, 1000ms});
  profile.health.ready_path = "/readyz";
  CHECK(waits_for(profile) == Waits{1013ms, 1000ms, 1000ms});
  profile.health.type = moltbot::config::HealthType::tcp;
  CHECK(waits_for(profile) == Waits{1013ms, 1000ms, 1000ms});
  profile.health.interval = 5000ms;  // slots of at most 250 ms: due at 5.287 s, the nearest is 5.25 s
  CHECK(waits_for(profile) == Waits{4963ms, 5000ms, 5000ms});
  profile.health.type = moltbot::config::HealthType::exec;
  profile.health.interval = 1000ms;
  CHECK(waits_for(profile) == Waits{1000ms, 1000ms, 1000ms});
}

TEST_CASE("a foreign listener answering is a failing probe, reported as such") {
  Harness h;
  h.bring_up();
  h.deadline.expire();
  h.child.answer_liveness(false, "HTTP 200 answered, but foreign listener on port 18789 (pid 77, nginx)");
  auto status = h.runner->status();
  CHECK(status.state == State::unhealthy);
  CHECK_THAT(status.health, Catch::Contains("foreign listener") && Catch::Contains("pid 77"));
}

TEST_CASE("readiness is reported but never restarts") {
  auto profile = test_profile();
  profile.health.ready_path = "/readyz";
  Harness h(profile);
  h.bring_up();
  for (int i = 0; i < 10; ++i) {
    h.deadline.expire();
    REQUIRE(h.child.readiness.size() == 1);
    auto done = std::move(h.child.readiness.front());
    h.child.readiness.pop_front();
    done({false, "HTTP 503"});
    h.child.answer_liveness(true);
  }
  auto status = h.runner->status();
  CHECK(status.state == State::running);
  CHECK(status.readiness == "not ready: HTTP 503");
  CHECK(h.child.signals.empty());
  auto readiness_events = std::count_if(h.events.begin(), h.events.end(), [](const ProfileEvent& e) {
    return e.kind == ProfileEvent::Kind::readiness;
  });
  CHECK(readiness_events == 1);  // reported on change only
}

TEST_CASE("a child ignoring the stop signal gets SIGKILL after stop.timeout") {
  Harness h;
  h.bring_up();
  h.runner->stop();
  CHECK(h.state() == State::stopping);
  CHECK(h.child.signals == std::vector<int>{SIGTERM, SIGCONT});
  h.deadline.expire();
  CHECK(h.state() == State::stopping);
  CHECK(h.child.signals.back() == SIGKILL);
  CHECK_THAT(h.runner->status().reason, Catch::Contains("SIGKILL"));
  h.child.exit(ExitStatus::killed(SIGKILL));
  CHECK(h.state() == State::stopped);
  CHECK(h.runner->at_rest());
  CHECK(h.child.spawns == 1);
}

TEST_CASE("the configured stop signal is used") {
  auto profile = test_profile();
  profile.stop.signal = SIGINT;
  Harness h(profile);
  h.bring_up();
  h.runner->stop();
  CHECK(h.child.signals == std::vector<int>{SIGINT, SIGCONT});
}

TEST_CASE("leftover helpers are stopped before the profile counts as stopped") {
  Harness h;
  h.bring_up();
  h.child.leftovers = true;
  h.child.exit(ExitStatus::killed(SIGSEGV));
  CHECK(h.state() == State::stopping);
  CHECK(h.child.signals == std::vector<int>{SIGTERM, SIGCONT});
  h.runner->on_orphan_reaped();
  CHECK(h.state() == State::stopping);  // still there
  h.child.leftovers = false;
  h.runner->on_orphan_reaped();
  CHECK(h.state() == State::backoff);
  CHECK(h.runner->status().last_exit->status->signal == SIGSEGV);
}

TEST_CASE("a held port makes the profile wait without spending its restart budget") {
  Harness h;
  h.child.conflict = "port 18789 (gateway) held by pid 4242 (nginx)";
  h.runner->start();
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto status = h.runner->status();
    REQUIRE(status.state == State::starting);
    REQUIRE_THAT(status.reason, Catch::Contains("pid 4242 (nginx)"));
    h.deadline.expire();
  }
  CHECK(h.child.spawns == 0);
  CHECK(h.deadline.remaining() <= 5000ms);  // retries stay prompt
  h.child.conflict.reset();
  h.deadline.expire();
  CHECK(h.child.spawns == 1);
  CHECK(h.runner->status().restarts == 0);
}

TEST_CASE("a probe the supervisor could not make counts neither way: the state stays, health says why") {
  Harness h;
  h.bring_up();
  // Two real failures, then the supervisor runs out of descriptors for many probes in a row.
  for (int i = 0; i < 2; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(false);
  }
  REQUIRE(h.state() == State::unhealthy);
  for (int i = 0; i < 10; ++i) {
    h.deadline.expire();
    h.child.answer_inconclusive(h.child.liveness, "the supervisor could not probe: Too many open files");
    CHECK(h.state() == State::unhealthy);
    CHECK(h.deadline.remaining() == 1000ms);  // the next probe at the usual interval
  }
  auto status = h.runner->status();
  CHECK(status.health == "unknown: the supervisor could not probe: Too many open files");
  CHECK(h.child.signals.empty());
  CHECK(status.restarts == 0);
  // Said once in the profile log, not once per probe.
  CHECK(std::count_if(h.child.notes.begin(), h.child.notes.end(), [](const std::string& note) {
          return note == "health probe not made, not counted: the supervisor could not probe: Too many open files";
        }) == 1);
  // The failures counted before still count: one more real failure is the third.
  h.deadline.expire();
  h.child.answer_liveness(false);
  CHECK(h.state() == State::stopping);
}

TEST_CASE("a running profile whose probes the supervisor cannot make stays running") {
  Harness h;
  h.bring_up();
  for (int i = 0; i < 20; ++i) {
    h.deadline.expire();
    h.child.answer_inconclusive(h.child.liveness, "the supervisor could not check who listens: socket diagnostics: "
                                                  "Too many open files");
  }
  CHECK(h.state() == State::running);
  CHECK(h.runner->status().pid == 1001);
  h.deadline.expire();
  h.child.answer_liveness(true);
  CHECK(h.runner->status().health == "healthy");
}

TEST_CASE("inconclusive startup and readiness probes change nothing") {
  auto profile = test_profile();
  profile.health.type = moltbot::config::HealthType::http;
  profile.health.startup_path = "/startupz";
  profile.health.ready_path = "/readyz";
  Harness h(profile);
  h.runner->start();
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.child.answer_inconclusive(h.child.startup, "the supervisor could not probe: Too many open files");
  CHECK(h.state() == State::starting);
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.child.answer_startup(true, "started");
  REQUIRE(h.state() == State::running);
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.child.answer_inconclusive(h.child.readiness, "the supervisor could not probe: Too many open files");
  CHECK(h.runner->status().readiness == "unknown");
  CHECK(h.state() == State::running);
}

TEST_CASE("a start the supervisor lacks the resources for waits and retries without spending the budget") {
  Harness h;
  h.child.spawn_shortage = Shortage{"pipe: Too many open files"};
  h.runner->start();
  std::vector<std::chrono::milliseconds> delays;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto status = h.runner->status();
    REQUIRE(status.state == State::starting);
    REQUIRE_THAT(status.reason, Catch::Contains("the supervisor is short of its own resources, not counted as a "
                                                "restart: pipe: Too many open files"));
    delays.push_back(h.deadline.remaining());
    h.deadline.expire();
  }
  // Retried on the backoff schedule, not hammered.
  CHECK(std::vector<std::chrono::milliseconds>(delays.begin(), delays.begin() + 6) ==
        std::vector<std::chrono::milliseconds>{100ms, 200ms, 400ms, 800ms, 1600ms, 1600ms});
  CHECK(h.runner->status().restarts == 0);
  CHECK_FALSE(h.runner->status().last_exit);
  h.child.spawn_shortage.reset();
  h.deadline.expire();
  CHECK(h.child.spawns == 1);
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().restarts == 0);

  // The same when its gateway config cannot be written for want of descriptors.
  h.runner->stop();
  h.child.exit(ExitStatus::killed(SIGTERM));
  REQUIRE(h.state() == State::stopped);
  h.child.prepare_shortage = Shortage{"cannot create a file in /state: Too many open files"};
  h.runner->start();
  CHECK(h.state() == State::starting);
  CHECK_THAT(h.runner->status().reason, Catch::Contains("cannot create a file in /state"));
  h.child.prepare_shortage.reset();
  h.deadline.expire();
  CHECK(h.child.spawns == 2);
  CHECK(h.runner->status().restarts == 0);
}

TEST_CASE("a start its folders refuse parks the profile at once, spends no restart, and reset tries again") {
  Harness h;
  h.child.prepare_refusal = "state dir: /srv/main (owner uid 1001, group gid 1001, mode 0755) is owned by another user";
  h.runner->start();
  CHECK(h.state() == State::fatal);
  CHECK(h.child.spawns == 0);
  CHECK_FALSE(h.deadline.due());  // nothing retries by itself
  const auto status = h.runner->status();
  CHECK(status.reason == "refused to start: state dir: /srv/main (owner uid 1001, group gid 1001, mode 0755) is "
                         "owned by another user; parked until reset");
  REQUIRE(status.last_exit);
  CHECK(status.last_exit->reason == "refused to start: state dir: /srv/main (owner uid 1001, group gid 1001, mode "
                                    "0755) is owned by another user");
  CHECK(status.restarts == 0);
  h.runner->start();  // a fatal profile waits for reset
  CHECK(h.child.prepares == 1);

  h.child.prepare_refusal.reset();  // the operator fixed the folder
  h.runner->reset();
  CHECK(h.state() == State::starting);
  CHECK(h.child.spawns == 1);
}

TEST_CASE("a crashed gateway whose restart meets a shortage is restarted once there is room, counted once") {
  auto profile = test_profile();
  profile.restart.max_restarts = 1;
  Harness h(profile);
  h.bring_up();
  h.child.spawn_shortage = Shortage{"cannot start a process: Resource temporarily unavailable"};
  h.child.exit(ExitStatus::killed(SIGKILL));
  REQUIRE(h.state() == State::backoff);
  for (int attempt = 0; attempt < 10; ++attempt) h.deadline.expire();
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().restarts == 1);  // the crash, not the retries
  h.child.spawn_shortage.reset();
  h.deadline.expire();
  CHECK(h.child.spawns == 2);
  CHECK(h.state() == State::starting);
}

TEST_CASE("concurrent restart requests merge into one restart") {
  Harness h;
  h.bring_up();
  h.runner->restart();
  h.runner->restart();
  // A probe failure arriving now is stale: probes of this child were cancelled by the stop.
  CHECK(h.child.signals == std::vector<int>{SIGTERM, SIGCONT});
  h.child.exit(ExitStatus::killed(SIGTERM));
  CHECK(h.child.spawns == 2);
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().restarts == 0);  // operator restarts do not spend the budget
}

TEST_CASE("probe results of an earlier child are ignored") {
  Harness h;
  h.bring_up();
  h.deadline.expire();  // probe in flight
  h.child.exit(ExitStatus::exited(1));
  h.child.answer_liveness(false);  // arrives late
  CHECK(h.state() == State::backoff);
  h.deadline.expire();
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().health == "unknown");
}

TEST_CASE("stop wins over a pending restart, and stops a backoff at once") {
  Harness h;
  h.bring_up();
  h.runner->restart();
  h.runner->stop();
  h.child.exit(ExitStatus::killed(SIGTERM));
  CHECK(h.state() == State::stopped);
  CHECK(h.child.spawns == 1);

  h.runner->start();
  h.child.exit(ExitStatus::exited(1));
  CHECK(h.state() == State::backoff);
  h.runner->stop();
  CHECK(h.state() == State::stopped);
  CHECK_FALSE(h.deadline.armed());
}

TEST_CASE("a retired runner stops with the reason given and nothing brings it back") {
  Harness h;
  h.bring_up();
  h.runner->retire("removed from the manifest (reload)");
  CHECK(h.state() == State::stopping);
  CHECK(h.runner->status().reason == "removed from the manifest (reload)");
  h.runner->start();
  h.runner->restart();
  h.child.exit(ExitStatus::killed(SIGTERM));
  CHECK(h.state() == State::stopped);
  CHECK(h.runner->at_rest());
  h.runner->start();
  h.runner->restart();
  CHECK(h.state() == State::stopped);
  CHECK(h.child.spawns == 1);
}

TEST_CASE("a spawn failure counts as a failed start") {
  Harness h;
  h.child.spawn_error = "cannot execute /nope: No such file or directory";
  h.runner->start();
  auto status = h.runner->status();
  CHECK(status.state == State::backoff);
  REQUIRE(status.last_exit);
  CHECK_FALSE(status.last_exit->status);
  CHECK_THAT(status.last_exit->reason, Catch::Contains("/nope"));
  for (int i = 0; i < 5; ++i) h.deadline.expire();
  CHECK(h.state() == State::fatal);
}

TEST_CASE("a probe handler that throws: the profile is handled as failed, its child stopped and restarted") {
  Harness h;
  h.bring_up();
  h.deadline.expire();
  h.child.throw_in("note");
  h.child.answer_liveness(false);  // unhealthy (1/3): noted, and the note throws
  auto status = h.runner->status();
  CHECK(status.state == State::stopping);
  CHECK(status.reason == "internal error in probe handler of profile main: boom in note");
  CHECK(h.child.signals == std::vector<int>{SIGTERM, SIGCONT});
  h.child.exit(ExitStatus::killed(SIGTERM));
  status = h.runner->status();
  CHECK(status.state == State::backoff);
  CHECK(status.restarts == 1);
  REQUIRE(status.last_exit);
  CHECK(status.last_exit->reason == "internal error in probe handler of profile main: boom in note");
  h.deadline.expire();
  CHECK(h.state() == State::starting);
  CHECK(h.runner->status().pid == 1002);
}

TEST_CASE("an exit handler that throws: the child is known gone, the restart policy decides") {
  Harness h;
  h.bring_up();
  h.child.throw_in("has_leftovers");
  h.child.exit(ExitStatus::exited(1));
  auto status = h.runner->status();
  CHECK(status.state == State::backoff);
  CHECK(status.pid == 0);
  CHECK(status.restarts == 1);
  CHECK_THAT(status.reason, Catch::StartsWith("internal error in exit handler of profile main: boom in has_leftovers; "
                                              "restarting in"));
  h.deadline.expire();
  CHECK(h.state() == State::starting);
}

TEST_CASE("a timer handler that throws during a stop: the stop goes on and still ends with SIGKILL") {
  Harness h;
  h.bring_up();
  h.runner->stop();
  h.child.throw_in("signal_all");
  h.deadline.expire();  // stop.timeout: SIGKILL, which throws
  CHECK(h.state() == State::stopping);
  CHECK(h.deadline.remaining() == 2000ms);  // armed again
  h.deadline.expire();
  CHECK(h.child.signals.back() == SIGKILL);
  h.child.exit(ExitStatus::killed(SIGKILL));
  CHECK(h.state() == State::stopped);
  CHECK(h.runner->status().restarts == 0);
}

TEST_CASE("a request that throws: the profile is left as that failure leaves it") {
  Harness h;
  h.child.throw_in("settle_restart_mode");
  h.runner->start();
  auto status = h.runner->status();
  CHECK(status.state == State::backoff);
  CHECK_THAT(status.reason, Catch::StartsWith("internal error in request handler of profile main: boom in "
                                              "settle_restart_mode; restarting in"));
  h.deadline.expire();
  CHECK(h.state() == State::starting);

  Harness unwanted;
  unwanted.child.throw_in("settle_restart_mode");
  unwanted.runner->restart();  // wanted from here on
  CHECK(unwanted.state() == State::backoff);
  unwanted.runner->stop();
  CHECK(unwanted.state() == State::stopped);
}

TEST_CASE("when handling the failure fails too, the profile is parked as it is until reset") {
  Harness h;
  h.child.throw_in("note", 1000);
  h.runner->start();
  auto status = h.runner->status();
  CHECK(status.state == State::fatal);
  CHECK_THAT(status.reason, Catch::StartsWith("internal error in request handler of profile main: boom in note") &&
                                Catch::EndsWith("; parked until reset"));
  CHECK_FALSE(h.deadline.armed());
}

TEST_CASE("health type none: running as soon as it is spawned") {
  auto profile = test_profile();
  profile.health.type = moltbot::config::HealthType::none;
  Harness h(profile);
  h.runner->start();
  CHECK(h.state() == State::running);
  CHECK_FALSE(h.deadline.armed());
  CHECK(h.child.liveness.empty());
}

// ---- issue 15: restart-handoff negotiation, planned restarts, the startup criterion ---------

namespace {

using moltbot::config::RestartMode;

const HandoffSupport external_support{RestartMode::external, "restart-handoff protocol 1 (consume)"};

// A profile whose gateway speaks the handoff protocol, up and running.
struct ExternalHarness : Harness {
  ExternalHarness() {
    child.support = external_support;
    bring_up();
  }
};

}  // namespace

TEST_CASE("the first start waits for the handoff negotiation, and a stop during it stops") {
  Harness h;
  h.child.mode_settled = false;
  h.runner->start();
  CHECK(h.state() == State::starting);
  CHECK(h.child.spawns == 0);
  CHECK_THAT(h.runner->status().reason, Catch::Contains("restart handoffs"));
  h.child.settle(external_support);
  CHECK(h.child.spawns == 1);
  CHECK(h.runner->status().restart_mode == "external");
  CHECK(h.runner->status().restart_mode_detail == external_support.detail);

  Harness stopped;
  stopped.child.mode_settled = false;
  stopped.runner->start();
  stopped.runner->stop();
  CHECK(stopped.state() == State::stopped);
  stopped.child.settle(external_support);  // the answer arrives late: nothing starts
  CHECK(stopped.child.spawns == 0);
  CHECK(stopped.state() == State::stopped);
}

TEST_CASE("an external-mode exit 0 with an accepted handoff is a planned restart, not a failure") {
  ExternalHarness h;
  const pid_t first = h.runner->status().pid;
  h.child.exit(ExitStatus::exited(0));
  CHECK(h.state() == State::starting);
  REQUIRE(h.child.consumed_pids == std::vector<pid_t>{first});
  CHECK(h.child.spawns == 1);  // nothing starts before the handoff is consumed
  h.child.answer_consume({true, "restart handoff accepted: reason gateway.restart, source operator-restart"});
  CHECK(h.child.spawns == 2);  // at once: no backoff
  auto status = h.runner->status();
  CHECK(status.state == State::starting);
  CHECK(status.restarts == 0);
  CHECK(status.planned_restarts == 1);
  REQUIRE(status.last_exit);
  CHECK_THAT(status.last_exit->reason, Catch::Contains("planned restart"));
  auto planned = std::find_if(h.events.begin(), h.events.end(), [](const ProfileEvent& event) {
    return event.kind == ProfileEvent::Kind::planned_restart;
  });
  REQUIRE(planned != h.events.end());
  CHECK_THAT(planned->message, Catch::Contains("gateway.restart") && Catch::Contains(std::to_string(first)));

  // Many planned restarts never spend the budget (max_restarts 5).
  for (int i = 0; i < 8; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(true);
    h.child.exit(ExitStatus::exited(0));
    h.child.answer_consume({true, "restart handoff accepted"});
  }
  CHECK(h.runner->status().planned_restarts == 9);
  CHECK(h.runner->status().restarts == 0);
  CHECK(h.state() == State::starting);
}

TEST_CASE("an exit 0 without an accepted handoff is handled as an ordinary exit") {
  ExternalHarness h;
  h.child.exit(ExitStatus::exited(0));
  h.child.answer_consume({false, "no restart handoff: none (missing)"});
  auto status = h.runner->status();
  CHECK(status.state == State::backoff);
  CHECK(status.restarts == 1);
  CHECK(status.planned_restarts == 0);
  CHECK(std::any_of(h.child.notes.begin(), h.child.notes.end(),
                    [](const std::string& note) { return note.find("none (missing)") != std::string::npos; }));
}

TEST_CASE("an exit 0 whose CLI the supervisor could not run is started again, not counted") {
  ExternalHarness h;
  h.child.exit(ExitStatus::exited(0));
  HandoffVerdict unknown{false, "the CLI could not be run: pipe: Too many open files"};
  unknown.unknown = true;
  h.child.answer_consume(unknown);
  auto status = h.runner->status();
  CHECK(status.state == State::starting);
  CHECK(h.child.spawns == 2);
  CHECK(status.restarts == 0);
  CHECK(status.planned_restarts == 0);
  REQUIRE(status.last_exit);
  CHECK_THAT(status.last_exit->reason, Catch::Contains("not counted") && Catch::Contains("Too many open files"));
}

TEST_CASE("in-process mode consumes nothing, and a failing exit is never a handoff") {
  Harness h;
  h.bring_up();
  h.child.exit(ExitStatus::exited(0));
  CHECK(h.child.consumed_pids.empty());
  CHECK(h.state() == State::backoff);

  ExternalHarness external;
  external.child.exit(ExitStatus::exited(1));
  CHECK(external.child.consumed_pids.empty());
  CHECK(external.state() == State::backoff);
}

TEST_CASE("a stop while the handoff is consumed stops, and the late verdict starts nothing") {
  ExternalHarness h;
  h.child.exit(ExitStatus::exited(0));
  h.runner->stop();
  CHECK(h.state() == State::stopped);
  h.child.answer_consume({true, "restart handoff accepted"});
  CHECK(h.state() == State::stopped);
  CHECK(h.child.spawns == 1);
  CHECK(h.runner->status().planned_restarts == 0);
}

TEST_CASE("a planned restart ends the old gateway's leftovers before the replacement starts") {
  ExternalHarness h;
  h.child.exit(ExitStatus::exited(0));
  h.child.leftovers = true;
  h.child.answer_consume({true, "restart handoff accepted"});
  CHECK(h.state() == State::stopping);
  CHECK(h.child.spawns == 1);
  h.child.leftovers = false;
  h.runner->on_orphan_reaped();
  CHECK(h.child.spawns == 2);
  CHECK(h.runner->status().restarts == 0);
}

TEST_CASE("with a startup path, live is not started: starting until the gateway says started") {
  auto profile = test_profile();
  profile.health.startup_path = "/startupz";
  Harness h(profile);
  h.runner->start();
  h.deadline.expire();
  h.child.answer_liveness(true);
  CHECK(h.state() == State::starting);
  h.child.answer_startup(false, "starting: startup-sidecars");
  CHECK(h.state() == State::starting);
  CHECK_THAT(h.runner->status().reason, Catch::Contains("startup-sidecars"));
  CHECK(h.deadline.remaining() == 250ms);  // asked again soon, never counted as a failure
  for (int i = 0; i < 20; ++i) {
    h.deadline.expire();
    h.child.answer_liveness(true);
    h.child.answer_startup(false, "starting: startup-sidecars");
  }
  CHECK(h.state() == State::starting);
  h.deadline.expire();
  h.child.answer_liveness(true);
  h.child.answer_startup(true, "started");
  CHECK(h.state() == State::running);
  CHECK(h.deadline.remaining() == 1000ms);
  // Once running, the startup path is not asked again.
  h.deadline.expire();
  h.child.answer_liveness(true);
  CHECK(h.child.startup.empty());

  // A tcp health check does not say the child speaks HTTP: the startup path is not asked.
  profile.health.type = moltbot::config::HealthType::tcp;
  Harness tcp(profile);
  tcp.runner->start();
  tcp.deadline.expire();
  tcp.child.answer_liveness(true, "the listener answered");
  CHECK(tcp.state() == State::running);
  CHECK(tcp.child.startup.empty());
}
