// Why: without `default_versions` the default version is the highest release by semver precedence,
// and crates.io version strings include pre-releases and build metadata.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre; // dot-separated pre-release identifiers; empty for a release
  std::string build;            // build metadata, ignored by precedence

  [[nodiscard]] bool is_prerelease() const { return !pre.empty(); }
};

// Strict SemVer 2.0.0 parse (no leading 'v', no leading zeros in numeric parts); nullopt if invalid.
std::optional<SemVer> parse_semver(std::string_view text);

// SemVer 2.0.0 precedence: <0, 0, >0. Build metadata is ignored.
int compare_semver(const SemVer &a, const SemVer &b);

} // namespace forge
