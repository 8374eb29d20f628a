// Backup throughput of a 200 MB state database (issue 19): the bundled gateway writes a row every
// millisecond into <state>/state/openclaw.sqlite (test fault db_writes=1ms) while the database is
// copied by
//
//   online copy      `moltbot-backup copy-databases` (SQLite's online-backup API, all pages in one
//                    step, then consolidated: journal_mode DELETE, no sidecars)
//   full backup      `moltbot-backup create`: the same copy, then the state dir in tar + zstd
//   sqlite3 .backup  Debian's sqlite3 CLI (`sqlite3 DB ".backup COPY"`, which steps 100 pages at a
//                    time and starts over when another process commits in between)
//
// and, with the gateway stopped, by the first and the third again and by `tar` of the state dir
// (plain, and with zstd as the backup compresses). Each RUNS times; the table gives the median seconds, MB/s of the database's size
// and the gateway's commits per second during the copy (0 when stopped). A run that takes longer
// than the limit is killed and shown as such.
//
// usage: backup_bench [RUNS] [MB]    (defaults: 3 runs, 200 MB)
#include <sqlite3.h>
#include <signal.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "latency_summary.h"
#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"

namespace {

namespace fs = std::filesystem;
using namespace moltbot::test;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto run_limit = 60s;

void check(bool ok, const std::string& what) {
  if (ok) return;
  fmt::print(stderr, "backup_bench: {}\n", what);
  std::exit(1);
}

sqlite3* open_database(const fs::path& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "cannot open " + path.string());
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  check(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK, sql + ": " + sqlite3_errmsg(db));
}

// The gateway's schema (writes, user_version 1) plus `filler` rows of 4 KiB up to `megabytes`.
void make_state_database(const fs::path& path, int megabytes) {
  fs::create_directories(path.parent_path());
  sqlite3* db = open_database(path);
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "CREATE TABLE writes(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, source TEXT NOT NULL)");
  exec(db, "CREATE TABLE filler(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
  exec(db, "PRAGMA user_version=1");
  exec(db, fmt::format("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
                       "INSERT INTO filler(payload) SELECT randomblob(4096) FROM n",
                       megabytes * 256));
  sqlite3_close(db);
}

long long commits(const fs::path& database) {
  sqlite3* db = open_database(database);
  sqlite3_stmt* statement = nullptr;
  long long count = 0;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM writes", -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    count = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

struct Sample {
  double seconds = 0;
  double commits_per_second = 0;
  bool finished = true;
};

Sample timed(const std::vector<std::string>& argv, const fs::path& database, bool under_load) {
  const long long before = under_load ? commits(database) : 0;
  ProcessRun run;
  run.argv = argv;
  run.env = {{"PATH", "/usr/bin:/bin"}};
  run.deadline = run_limit;
  const auto started = Clock::now();
  ProcessResult result = run_process(run);
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const long long after = under_load ? commits(database) : 0;
  if (!result.timed_out) check(result.exit_code == 0, fmt::format("{} failed: {}{}", argv[0], result.out, result.err));
  return {seconds, static_cast<double>(after - before) / seconds, !result.timed_out};
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 3;
  const int megabytes = argc > 2 ? std::atoi(argv[2]) : 200;
  TempDir home("moltbot-backup-bench");
  const fs::path state = home.path() / ".openclaw-bench";
  const fs::path database = state / "state" / "openclaw.sqlite";
  make_state_database(database, megabytes);
  const double size_mb = static_cast<double>(fs::file_size(database)) / 1e6;
  const std::string backup = (fs::path(MOLTBOT_GATEWAY_BIN).parent_path() / "moltbot-backup").string();

  struct Way {
    std::string name;
    bool under_load;
    std::function<std::vector<std::string>(int run)> argv;
  };
  const std::vector<Way> ways{
      {"online copy (moltbot-backup copy-databases)", true,
       [&](int) { return std::vector<std::string>{backup, "copy-databases", "--state", state.string(), "--keep", "1"}; }},
      {"full backup (moltbot-backup create, zstd)", true,
       [&](int run) {
         return std::vector<std::string>{backup, "create", "--state", state.string(), "--out",
                                         (home.path() / fmt::format("full-{}.tar.zst", run)).string()};
       }},
      {"sqlite3 .backup", true,
       [&](int run) {
         return std::vector<std::string>{"/usr/bin/sqlite3", database.string(),
                                         ".backup " + (home.path() / fmt::format("cli-{}.sqlite", run)).string()};
       }},
      {"online copy, gateway stopped", false,
       [&](int) { return std::vector<std::string>{backup, "copy-databases", "--state", state.string(), "--keep", "1"}; }},
      {"sqlite3 .backup, gateway stopped", false,
       [&](int run) {
         return std::vector<std::string>{"/usr/bin/sqlite3", database.string(),
                                         ".backup " + (home.path() / fmt::format("cli-stopped-{}.sqlite", run)).string()};
       }},
      {"tar of the stopped state dir", false,
       [&](int run) {
         return std::vector<std::string>{"/usr/bin/tar", "-cf", (home.path() / fmt::format("plain-{}.tar", run)).string(),
                                         "-C", state.string(), "."};
       }},
      {"tar --zstd of the stopped state dir", false,
       [&](int run) {
         return std::vector<std::string>{"/usr/bin/tar", "--zstd", "-cf",
                                         (home.path() / fmt::format("zstd-{}.tar.zst", run)).string(), "-C",
                                         state.string(), "."};
       }},
  };

  const int port = find_free_port_block();
  ChildOptions options;
  options.argv = {MOLTBOT_GATEWAY_BIN, "--profile", "bench", "--port", std::to_string(port)};
  options.env = {{"HOME", home.path().string()}, {"PATH", "/usr/bin:/bin"},
                 {"MOLTBOT_GATEWAY_TEST_FAULTS", "db_writes=1ms"}};
  options.output_dir = home.path();
  options.name = "gateway";
  auto gateway = std::make_unique<ChildProcess>(options);
  check(wait_until([&] { return http_get("127.0.0.1", port, "/healthz", 500ms).ok(); }, 10s), "the gateway did not start");

  fmt::print("database: {:.0f} MB (WAL), the gateway committing a row every millisecond; {} runs each\n\n", size_mb, runs);
  fmt::print("{:<44} {:>10} {:>8} {:>12}  {}\n", "copy", "median s", "MB/s", "commits/s", "finished");
  for (const auto& way : ways) {
    if (!way.under_load && gateway) {
      gateway->signal(SIGTERM);
      check(gateway->wait_for_exit(10s).has_value(), "the gateway did not stop");
      gateway.reset();
    }
    std::vector<double> seconds, rates;
    int finished = 0;
    for (int run = 0; run < runs; ++run) {
      Sample sample = timed(way.argv(run), database, way.under_load);
      seconds.push_back(sample.seconds);
      rates.push_back(sample.commits_per_second);
      finished += sample.finished ? 1 : 0;
    }
    const double median = moltbot::bench::summarize(seconds).p50;
    fmt::print("{:<44} {:>10.2f} {:>8.0f} {:>12.0f}  {}/{}{}\n", way.name, median, size_mb / median,
               moltbot::bench::summarize(rates).p50, finished, runs,
               finished < runs ? fmt::format(" (killed after {} s)", run_limit.count()) : "");
  }
  return 0;
}
