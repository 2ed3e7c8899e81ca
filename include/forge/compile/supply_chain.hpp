// Why: the pieces of `forge build` that say what an executable is made of and whether it can be rebuilt
// bit for bit (the embedded dependency list, the build date, the rebuild comparison), kept apart from the
// build steps that call them so each is tested without running cargo.
#pragma once
#include "forge/compile/auditable.hpp"
#include "forge/compile/builder.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace forge {

// forge build's supply-chain settings (forge.toml [build], flags of the same names).
struct SupplyChainSettings {
  bool auditable = true;            // embed the dependency list (.dep-v0) in every executable
  bool sbom = true;                 // write <exe>.cdx.json
  bool provenance = true;           // write <exe>.intoto.json
  bool verify_reproducible = false; // build a second time elsewhere and compare
  bool reproducible = true;         // --remap-path-prefix and SOURCE_DATE_EPOCH
};

// The graph of one attempt from the files a `cargo tree` run left: its stdout (dep_tree_argv) and the
// crate's Cargo.lock. Files that cannot be read are an error value.
DepGraphResult read_dep_graph(const std::filesystem::path &tree_stdout,
                              const std::filesystem::path &cargo_lock, const std::string &root_source,
                              const std::string &root_checksum);

// The crate's source as Cargo.lock would name it: crates.io's fixed spelling for the default index, else
// "sparse+<index URL>".
std::string crate_source_id(const std::string &index_url, bool default_index);

// `rustc -vV` of the toolchain cargo builds with: $RUSTC when set, else the rustc beside an explicit cargo
// program, else rustc from PATH; "+toolchain" when one is named.
std::vector<std::string> rustc_version_argv(const BuilderSettings &settings);

// SOURCE_DATE_EPOCH for a crate: its publication time (`published_at`, RFC 3339, from the queue or the
// index) when given, else the newest modification time among the .crate's entries (what old cargo versions
// recorded; current ones write a fixed date). Both come from the crate itself, so every rebuild agrees.
// nullopt when neither is readable.
std::optional<int64_t> crate_source_date_epoch(const std::optional<std::string> &published_at,
                                               const std::filesystem::path &crate_file);

// The paths a build must not leak, mapped to fixed names: the build directory and the cargo home.
std::vector<std::pair<std::string, std::string>> reproducible_remaps(const std::filesystem::path &build_dir,
                                                                     const std::filesystem::path &cargo_home);

struct EmbedResult {
  bool embedded = false;
  std::string error; // why not (the executable is then left exactly as it was)
};

// Adds the graph to `exe` as cargo-auditable's `.dep-v0` section (zlib-compressed JSON), replacing the file
// atomically with the same permissions, and reads it back to check it. Nothing else in the file changes.
EmbedResult embed_dep_list(const std::filesystem::path &exe, const DepGraph &graph);

// The dependency JSON embedded in an executable, nullopt when it has none or it cannot be read.
std::optional<std::string> read_embedded_dep_list(const std::filesystem::path &exe);

struct RebuildComparison {
  bool reproducible = false;
  std::string details; // "" when reproducible; else per differing executable its first difference
};

// Compares the executables of two builds by name (BLAKE3 of each); on a difference names the first
// differing ELF section, or an executable only one build produced.
RebuildComparison compare_rebuild(const std::vector<std::filesystem::path> &first,
                                  const std::vector<std::filesystem::path> &second);

} // namespace forge
