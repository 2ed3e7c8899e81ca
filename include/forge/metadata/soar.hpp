// Why: soar installs what these records describe; a wrong JSON type (a bare number in soar 0.6) fails the
// whole repository file, so every field is written with exactly the type soar expects.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace forge {

// Naming and URL templates (forge.toml [metadata]); defaults mirror pkgforge-cargo with a configurable owner.
// Template markers: {owner} {repo} {registry} {crate} {exe} {version} {host} {tag}
// (tag = "<version>-<host>").
// OCI repository names must be lowercase, so in a record the ghcr_pkg repository, and the part before '?'
// of download_url / build_log_url / manifest_url, get {owner} {repo} {registry} {crate} {exe} lowercased;
// {version} {host} {tag} and the query (e.g. download={exe}, the layer title = pkg_name) keep their case.
struct SoarNaming {
  std::string owner = "pkgforge-cargo";
  std::string repo = "pkgforge-cargo"; // pkg_id = "<repo>.<crate>.stable"
  std::string registry = "ghcr.io";
  std::string ghcr_pkg = "{registry}/{owner}/{crate}/stable/{exe}"; // lowercased
  std::string download_url =
      "https://api.ghcr.pkgforge.dev/{owner}/{crate}/stable/{exe}?tag={tag}&download={exe}";
  std::string build_log_url =
      "https://api.ghcr.pkgforge.dev/{owner}/{crate}/stable/{exe}?tag={tag}&download={exe}.log";
  std::string manifest_url = "https://api.ghcr.pkgforge.dev/{owner}/{crate}/stable/{exe}?tag={tag}&manifest";
  // The SBOM and provenance layers (soar has no field for them: `sbom_url` and `provenance_url` are extra
  // fields, which soar ignores; docs/supply-chain.md).
  std::string sbom_url =
      "https://api.ghcr.pkgforge.dev/{owner}/{crate}/stable/{exe}?tag={tag}&download={exe}.cdx.json";
  std::string provenance_url =
      "https://api.ghcr.pkgforge.dev/{owner}/{crate}/stable/{exe}?tag={tag}&download={exe}.intoto.json";
  std::string maintainer = "pkgforge-cargo (https://github.com/pkgforge-cargo/builder)";
  std::string note = "This package was automatically built from crates.io by forge";
};

struct SoarInputs {
  std::string crate;
  std::string version;
  std::string exe;                   // pkg = pkg_name = the executable's file name
  std::string host;                  // "x86_64-Linux"
  std::vector<std::string> provides; // every executable of the crate
  std::string bsum, shasum;          // 64 hex
  uint64_t size = 0;
  std::optional<std::string> description, homepage, repository, license; // license = SPDX expression
  std::vector<std::string> keywords, categories;
  std::optional<int64_t> rank, downloads;
  std::string build_date;                     // RFC 3339 UTC
  std::string build_id, build_gha, build_log; // from GITHUB_* when present, else empty
  std::vector<std::string> snapshots;         // filled by publish; empty here
  bool has_sbom = false;                      // <exe>.cdx.json ships with the executable
  bool has_provenance = false;                // <exe>.intoto.json ships with the executable
};

// One soar record: required fields always present, numbers as digit strings, booleans as "true"/"false",
// arrays of strings, `provides` with every executable and recurse_provides "false". With an SBOM or a
// provenance, ghcr_files names them and sbom_url / provenance_url say where they are downloaded.
nlohmann::ordered_json soar_record(const SoarInputs &in, const SoarNaming &naming);

// Fills build_id (GITHUB_RUN_ID) and build_gha ("<GITHUB_SERVER_URL>/<GITHUB_REPOSITORY>/actions/runs/<id>",
// only when all three are set) with empty strings for what is absent. build_log is left alone: when empty,
// soar_record takes it from naming.build_log_url.
void fill_github_build_info(SoarInputs &in);

// Expands a naming template by plain substitution (no lowercasing). An unknown {marker} is a usage error.
std::string expand_template(std::string_view tmpl, const SoarInputs &in, const SoarNaming &naming);

// Expands a URL template the way soar_record does for download_url, build_log and manifest_url: names
// before the first '?' lowercased (they are OCI repository path parts), the query left as it is.
std::string expand_url_template(std::string_view tmpl, const SoarInputs &in, const SoarNaming &naming);

// The lowercased OCI repository the executable is pushed to ("ghcr.io/pkgforge-cargo/fd-find/stable/fd"):
// the record's ghcr_pkg is this plus ":<tag>" and its ghcr_url is "https://" plus this.
std::string oci_repository(const SoarInputs &in, const SoarNaming &naming);

} // namespace forge
