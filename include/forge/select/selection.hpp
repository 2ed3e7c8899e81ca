// Why: the selection rule decides what thousands of CI jobs build; it is exact and checked by other tools:
// selected = not yanked and recent and (has_bins or (cli and not lib_only)), on each crate's default version.
#pragma once
#include "forge/select/catalog.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct Funnel {
  int64_t total = 0;        // crates
  int64_t with_bins = 0;    // default version has a non-empty bin_names
  int64_t cli_category = 0; // linked to command-line-utilities
  int64_t candidates = 0;   // with_bins or cli
  int64_t recent = 0;       // candidates whose default version is recent
  int64_t yanked = 0;       // recent candidates whose default version is yanked
  int64_t lib_only = 0;     // recent, not yanked, cli, no bins, lib_only
  int64_t selected = 0;
};

// One crate of the build queue (queue.json "crates" element).
struct QueuedCrate {
  int64_t rank = 0;
  std::string name;
  std::string version;
  std::string checksum; // 64 lowercase hex, SHA-256 of the .crate
  std::vector<std::string> bin_names;
  std::optional<std::string> description, license, repository, homepage;
  int64_t downloads = 0;
  std::vector<std::string> categories; // slugs, sorted
  std::vector<std::string> keywords;   // sorted
  std::string published_at;            // RFC 3339 UTC
  std::optional<std::string> edition, rust_version;
  std::optional<bool> has_lib;
};

struct Selection {
  Funnel funnel;
  std::vector<QueuedCrate> crates; // by downloads descending, then name
};

// `since` = microseconds since the epoch of the --since date at 00:00:00 UTC.
Selection select_crates(const Catalog &catalog, int64_t since);

} // namespace forge
