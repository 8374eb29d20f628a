#include "load_fixture.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

namespace moltbot::test {

ManifestFixture::ManifestFixture() : dir_("moltbot-load") {
  std::filesystem::create_directory(home());
  env = Environment{{"HOME", home().string()}, {"PATH", "/usr/bin:/bin"}};
}

config::LoadResult ManifestFixture::load(std::string_view yaml) const {
  if (yaml.starts_with('\n')) yaml.remove_prefix(1);
  dir_.write("fleet.yaml", yaml);
  return config::load_manifest(manifest_path(), env);
}

std::string listing(const config::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += fmt::format("{}:{}:{} error[{}]: {}\n", d.where.file, d.where.line, d.where.column, d.code, d.message);
    for (const auto& note : d.related)
      out += fmt::format("  {}:{}:{} note: {}\n", note.where.file, note.where.line, note.where.column, note.message);
  }
  return out;
}

void check_at(const config::Diagnostic& d, const std::string& code, int line, int column, const std::string& message,
              config::Severity severity) {
  INFO(d.where.line << ":" << d.where.column << " [" << d.code << "]: " << d.message);
  CHECK(d.severity == severity);
  CHECK(d.code == code);
  CHECK(d.where.line == line);
  CHECK(d.where.column == column);
  CHECK(d.message == message);
}

const config::Diagnostic& only_diagnostic(const config::LoadResult& result) {
  INFO(result.file_error.value_or("") << listing(result.diagnostics));
  REQUIRE_FALSE(result.file_error);
  REQUIRE(result.diagnostics.size() == 1);
  return result.diagnostics.front();
}

const config::Manifest& clean_manifest(const config::LoadResult& result) {
  INFO(result.file_error.value_or("") << listing(result.diagnostics));
  REQUIRE_FALSE(result.file_error);
  REQUIRE(result.diagnostics.empty());
  REQUIRE(result.manifest);
  return *result.manifest;
}

}  // namespace moltbot::test
