// Why: a static executable hides what it was built from. cargo-auditable's format (an ELF section `.dep-v0`
// holding zlib-compressed JSON) is what cargo audit, Trivy, Grype, Syft and osv-scanner read, so forge
// writes exactly that, filled from cargo's own resolution of the attempt that linked the executable.
#pragma once
#include "forge/compile/builder.hpp"
#include "forge/compile/target.hpp"
#include "forge/metadata/dep_graph.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

inline constexpr const char *kAuditableSection = ".dep-v0";

// `cargo tree` listing what one attempt links into its executables: the target's normal dependencies with
// the attempt's features, through cargo's feature resolver (build-dependencies, dev-dependencies and
// proc-macros, which are not linked, are left out), one line per edge: "<depth><name> v<version>[ (<where>)]
// \t<license>\t[ (*)]". Run in the unpacked crate after the fetch phase, before any crate code ran.
std::vector<std::string> dep_tree_argv(const BuilderSettings &settings, const Target &target,
                                       FeatureSet features, bool locked);

// A Cargo.lock [[package]].
struct LockPackage {
  std::string name, version, source, checksum;
};

// What could not be read is a value: the build goes on without dependency data, and says why.
struct DepGraphResult {
  std::optional<DepGraph> graph;
  std::string error;
};

// Cargo.lock's packages; error set for a file that is not a lock file.
std::vector<LockPackage> parse_cargo_lock(std::string_view text, std::string &error);

// The graph of `cargo tree` output (dep_tree_argv) with sources and checksums from `lock`. The tree's
// single root gets `root_source` and `root_checksum`: forge builds it from a verified .crate, which cargo
// sees as a path package.
DepGraphResult dep_graph_from_tree(std::string_view tree_output, const std::vector<LockPackage> &lock,
                                   const std::string &root_source, const std::string &root_checksum);

// The JSON cargo-auditable embeds (auditable-serde's VersionInfo, format 1): compact, packages in graph
// order with name, version, source, dependencies (omitted when empty) and root (only when true).
std::string auditable_json(const DepGraph &graph);

// zlib (RFC 1950) stream of `data`, as cargo-auditable compresses the JSON.
std::string zlib_compress(std::string_view data);

// The inflated stream, or nullopt when it is not zlib data or inflates to more than `max_bytes`.
std::optional<std::string> zlib_decompress(std::string_view data, std::size_t max_bytes);

} // namespace forge
