// Why: the embedded dependency list, the SBOM and the provenance all describe the same set of crates; one
// graph type, filled once from cargo's own resolution, keeps the three from ever disagreeing.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

// Cargo.lock's spelling of crates.io, whatever index protocol fetched it.
inline constexpr std::string_view kCratesIoSource = "registry+https://github.com/rust-lang/crates.io-index";

// One crate linked into an executable.
struct DepPackage {
  std::string name, version;
  std::string source; // Cargo.lock's source ("registry+…", "sparse+…", "git+…#rev"); empty for a path crate
  std::string checksum; // Cargo.lock's checksum: SHA-256 of the .crate, 64 hex; empty when cargo has none
  std::string license;  // Cargo.toml's `license` as written; empty when the crate gives none
  std::vector<std::size_t> deps; // indices into DepGraph::packages, ascending
  bool root = false;             // the crate that was built
};

// Every crate linked into the executables of one build, sorted by (name, version, source); exactly one root.
struct DepGraph {
  std::vector<DepPackage> packages;
};

// The root package, or nullptr for an empty graph.
const DepPackage *graph_root(const DepGraph &graph);

// cargo-auditable's source names: "crates.io", "git", "local" (no source), "registry", else the scheme
// before '+' ("sparse" for a sparse alternative registry).
std::string auditable_source(std::string_view lock_source);

// Package URL (purl-spec's cargo type): "pkg:cargo/<name>@<version>", with a repository_url or vcs_url
// qualifier for crates that do not come from crates.io.
std::string cargo_purl(const DepPackage &package);

// crates.io's reading of a Cargo.toml licence as an SPDX expression: the legacy "MIT/Apache-2.0" separator
// becomes " OR "; surrounding whitespace goes. Empty stays empty.
std::string spdx_license_expression(std::string_view license);

} // namespace forge
