// Why: the crate's own Cargo.toml is the authority for its name, version, binaries and licence; forge reads
// it (toml++) instead of trusting the index, and normalises the tree without editing the crate's files.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace forge {

struct CrateManifest {
  std::string name;
  std::string version;
  std::optional<std::string> license;       // SPDX expression
  std::optional<std::string> license_file;  // relative path
  std::vector<std::string> bins;            // declared [[bin]] names (auto-discovered ones are not listed)
  bool has_lock = false;                    // a Cargo.lock ships with the crate
};

// Reads <crate_dir>/Cargo.toml. Throws Error(data) naming the file when it is missing or invalid.
CrateManifest read_manifest(const std::filesystem::path &crate_dir);

// Removes what the original pipeline removed so the crate cannot pick its own toolchain or cargo config:
// `.cargo/`, `rust-toolchain`, `rust-toolchain.toml`. Returns what was removed.
std::vector<std::string> normalise_crate(const std::filesystem::path &crate_dir);

// The licence texts in the crate root (LICENSE*, LICENCE*, COPYING*, UNLICENSE, and `license-file`), joined
// with "==> name <==" headers when there are several; empty when none.
std::string collect_license_text(const std::filesystem::path &crate_dir, const CrateManifest &manifest);

}  // namespace forge
