// Why: a build starts from exact bytes: the version and checksum come from the queue or the sparse index,
// the .crate is verified before a single entry is unpacked, and unpacking refuses anything that could
// escape the build directory.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

// Sparse-index path of a crate name (lowercased): "1/a", "2/ab", "3/a/abc", "se/rd/serde".
std::string sparse_index_path(std::string_view crate_name);

struct IndexEntry {
  std::string name;
  std::string vers;
  std::string cksum; // 64 lowercase hex
  bool yanked = false;
  std::optional<std::string> rust_version;
  std::optional<std::string> pubtime; // RFC 3339 publication time, when the index gives it
};

// Parses an index file (one JSON object per line; blank lines ignored). Throws Error(data) naming `source`
// and the line number for a malformed line.
std::vector<IndexEntry> parse_index_file(std::string_view text, const std::string &source);

// `wanted` given: that exact version (yanked or not); else the newest non-yanked release by semver, else the
// newest non-yanked version. nullopt when none.
std::optional<IndexEntry> pick_version(const std::vector<IndexEntry> &entries,
                                       const std::optional<std::string> &wanted);

// Expands a `dl` template from the index's config.json: markers {crate} {version} {prefix} {lowerprefix}
// {sha256-checksum}; a template without markers gets "/{crate}/{version}/download" appended.
std::string expand_download_url(std::string_view dl_template, std::string_view crate,
                                std::string_view version, std::string_view checksum);

// Reads `dl` from a config.json body; throws Error(data) naming `source` when absent.
std::string parse_index_config(std::string_view json_text, const std::string &source);

struct UnpackLimits {
  uint64_t max_bytes = uint64_t{2} << 30; // total uncompressed size
  uint64_t max_entries = 200000;
  uint64_t max_file_bytes = uint64_t{1} << 30;
};

// Verifies `crate_file` has SHA-256 `expected_hex`; on mismatch deletes the file and throws
// Error(checksum) "checksum mismatch for <file>: expected …, got …".
void verify_crate_checksum(const std::filesystem::path &crate_file, const std::string &expected_hex);

// Unpacks a .crate (gzip tar) into `dest` (which must not exist yet or be empty) and returns the path of its
// single top directory. Refuses absolute paths, `..` components, symlinks or hard links whose target leaves
// the tree, device/fifo/socket entries, and archives over the limits: Error(archive) naming the crate file
// and the entry; nothing is left half-unpacked (dest is removed on failure).
std::filesystem::path unpack_crate(const std::filesystem::path &crate_file, const std::filesystem::path &dest,
                                   const UnpackLimits &limits);

} // namespace forge
