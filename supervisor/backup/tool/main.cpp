// moltbot-backup: the blocking half of profile backups (docs/backups.md), run by the supervisor
// as a child process so its event loop never waits on a copy (backup_jobs.h), and usable by hand.
// Each command prints one JSON line on stdout, {"ok":true,...} or {"ok":false,"error":"..."},
// and exits 0 or 1 (2 for a bad command line).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "moltbot/backup/backup_archive.h"
#include "moltbot/backup/database_copies.h"
#include "moltbot/backup/restore_archive.h"
#include "moltbot/backup/state_swap.h"

namespace {

using nlohmann::ordered_json;
namespace backup = moltbot::backup;

int reply(ordered_json data) {
  fmt::print("{}\n", data.dump());
  return data.value("ok", false) ? 0 : 1;
}

int failure(const std::string& error) { return reply({{"ok", false}, {"error", error}}); }

int done(const std::optional<std::string>& error) { return error ? failure(*error) : reply({{"ok", true}}); }

ordered_json staged_json(const backup::StagedCounts& counts) {
  return {{"ok", true},           {"files", counts.files},       {"directories", counts.directories},
          {"databases", counts.databases}, {"bytes", counts.bytes}, {"config_files", counts.config_files}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"moltbot-backup: backup and restore of a profile's state dir (docs/backups.md)"};
  app.require_subcommand(1);
  backup::Limits limits;
  std::string state_dir, config, out, from, aside, failed, name;
  std::size_t keep = 3;
  auto add_limits = [&](CLI::App* command) {
    command->add_option("--max-bytes", limits.max_bytes, "bound on the file contents")->capture_default_str();
    command->add_option("--max-entries", limits.max_entries, "bound on files and directories")->capture_default_str();
  };

  auto* create = app.add_subcommand("create", "archive a state dir (and a config file outside it), online");
  create->add_option("--state", state_dir)->required();
  create->add_option("--config", config);
  create->add_option("--out", out)->required();
  add_limits(create);
  auto* verify = app.add_subcommand("verify", "read every header of an archive as a restore would, writing nothing");
  verify->add_option("archive", from)->required();
  add_limits(verify);
  auto* stage = app.add_subcommand("stage", "verify an archive and extract it into <state>/.restore-staging");
  stage->add_option("--state", state_dir)->required();
  stage->add_option("--from", from)->required();
  add_limits(stage);
  auto* swap_in = app.add_subcommand("swap-in", "move the state aside into NAME, the staged state in");
  swap_in->add_option("--state", state_dir)->required();
  swap_in->add_option("--aside", aside)->required();
  auto* swap_back = app.add_subcommand("swap-back", "move the restored state into FAILED, the one in NAME back");
  swap_back->add_option("--state", state_dir)->required();
  swap_back->add_option("--aside", aside)->required();
  swap_back->add_option("--failed", failed)->required();
  auto* discard = app.add_subcommand("discard", "remove a folder a restore left in the state dir");
  discard->add_option("--state", state_dir)->required();
  discard->add_option("--name", name, "the folder")->default_val(backup::staging_name);
  auto* copy = app.add_subcommand("copy-databases", "copy <state>/state/*.sqlite into <state>/backups/<time>/");
  copy->add_option("--state", state_dir)->required();
  copy->add_option("--keep", keep, "newest copy folders kept")->capture_default_str()->check(CLI::Range(1, 1000));
  auto* restore = app.add_subcommand("restore-databases", "put the copies of a folder back into <state>/state");
  restore->add_option("--state", state_dir)->required();
  restore->add_option("--from", from)->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  if (*create) {
    auto outcome = backup::write_backup(state_dir, config.empty() ? std::nullopt : std::optional<std::filesystem::path>(config),
                                        out, limits);
    if (!outcome.counts) return failure(outcome.error);
    const auto& counts = *outcome.counts;
    return reply({{"ok", true},
                  {"archive", out},
                  {"files", counts.files},
                  {"directories", counts.directories},
                  {"databases", counts.databases},
                  {"bytes", counts.bytes},
                  {"archive_bytes", counts.archive_bytes},
                  {"skipped", {{"symlinks", counts.skipped_symlinks},
                               {"special", counts.skipped_special},
                               {"database_sidecars", counts.skipped_sidecars}}},
                  {"changed_while_read", counts.changed_while_read},
                  {"duration_ms", counts.duration.count()}});
  }
  if (*verify || *stage) {
    auto outcome = *verify ? backup::verify_archive(from, limits) : backup::stage_archive(from, state_dir, limits);
    return outcome.counts ? reply(staged_json(*outcome.counts)) : failure(outcome.error);
  }
  if (*swap_in) return done(backup::swap_in(state_dir, aside));
  if (*swap_back) return done(backup::swap_back(state_dir, aside, failed));
  if (*discard) return done(backup::discard(state_dir, name));
  if (*copy) {
    auto outcome = backup::copy_state_databases(state_dir, keep);
    if (!outcome.copies) return failure(outcome.error);
    ordered_json files = ordered_json::array();
    for (const auto& file : outcome.copies->files) files.push_back(file.string());
    return reply({{"ok", true}, {"dir", outcome.copies->dir.string()}, {"files", files}, {"bytes", outcome.copies->bytes}});
  }
  return done(backup::restore_state_databases(state_dir, from));
}
