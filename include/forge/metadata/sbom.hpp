// Why: scanners and auditors read SBOMs, not ELF sections; `<exe>.cdx.json` says in CycloneDX 1.5 what the
// executable is (its hashes) and every crate linked into it, with the registry checksum and licence of each.
#pragma once
#include "forge/metadata/dep_graph.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace forge {

inline constexpr const char *kSbomMediaType = "application/vnd.cyclonedx+json";
inline constexpr const char *kSbomSuffix = ".cdx.json";

struct SbomInputs {
  std::string exe;            // the executable's file name
  std::string crate, version; // the crate it was built from
  std::string sha256, blake3; // of the executable, 64 hex
  std::string target;         // rustc triple
  std::string crate_url;      // where the .crate came from
  std::string crate_sha256;   // the verified .crate
  std::optional<std::string> description, homepage, repository, license;
  std::string timestamp; // RFC 3339 UTC: when the BOM was made
  std::string forge_version;
  const DepGraph *graph = nullptr; // the linked crates; nullptr or empty: the executable alone
};

// The CycloneDX 1.5 JSON document: metadata.component is the executable (type application, SHA-256 and
// BLAKE3, the crate's purl and licence), components are the other linked crates (type library, purl,
// SHA-256 of the .crate from Cargo.lock, licence, crates.io download URL), dependencies the graph, with an
// entry (possibly empty) for every component. Serial number: a random version 4 UUID, as the spec asks.
nlohmann::ordered_json cyclonedx_sbom(const SbomInputs &in);

// Whether `text` reads as an SPDX licence expression (identifiers, AND/OR/WITH, parentheses), so that it
// can be given as one; otherwise an SBOM names it as a licence.
bool looks_like_spdx_expression(const std::string &text);

} // namespace forge
