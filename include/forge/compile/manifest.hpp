// Why: the crate's own Cargo.toml is the authority for its name, version, binaries and licence; forge reads
// it (toml++) instead of trusting the index, and normalises the tree without editing the crate's files.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct DeclaredBin {
  std::string name;
  std::vector<std::string> required_features; // cargo skips the bin unless all of them are on
};

struct CrateManifest {
  std::string name;
  std::string version;
  std::optional<std::string> license;      // SPDX expression
  std::optional<std::string> license_file; // relative path
  std::vector<DeclaredBin> bins;           // declared [[bin]] targets (auto-discovered ones are not listed)
  bool has_lock = false;                   // a Cargo.lock ships with the crate
};

// Reads <crate_dir>/Cargo.toml. Throws Error(data) naming the file when it is missing or invalid.
CrateManifest read_manifest(const std::filesystem::path &crate_dir);

// Declared binaries that are not among `built` (executable names), e.g. a [[bin]] whose required-features
// the successful feature mode did not turn on: "name (required-features: a, b)" or just "name".
std::vector<std::string> missing_declared_bins(const CrateManifest &manifest,
                                               const std::vector<std::string> &built);

// Removes what the original pipeline removed so the crate cannot pick its own toolchain or cargo config:
// `.cargo/`, `rust-toolchain`, `rust-toolchain.toml`. Returns what was removed.
std::vector<std::string> normalise_crate(const std::filesystem::path &crate_dir);

// The licence texts in the crate root (LICENSE*, LICENCE*, COPYING*, UNLICENSE, and `license-file`), joined
// with "==> name <==" headers when there are several; empty when none.
std::string collect_license_text(const std::filesystem::path &crate_dir, const CrateManifest &manifest);

} // namespace forge
