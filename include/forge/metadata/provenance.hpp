// Why: a user should be able to tell what an executable was built from and how; `<exe>.intoto.json` states
// it as in-toto Statement v1 with a SLSA Provenance v1 predicate, the format attestation tools (GitHub's
// artifact attestations, cosign, slsa-verifier) sign and verify.
#pragma once
#include "forge/metadata/dep_graph.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace forge {

inline constexpr const char *kProvenanceMediaType = "application/vnd.in-toto+json";
inline constexpr const char *kProvenanceSuffix = ".intoto.json";
inline constexpr const char *kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr const char *kSlsaProvenanceType = "https://slsa.dev/provenance/v1";
// What kind of build the predicate describes (docs/supply-chain.md, "Provenance").
inline constexpr const char *kForgeBuildType = "urn:forge:buildtype:crate:v1";

struct ProvenanceInputs {
  std::string exe, sha256; // the subject
  std::string crate, version, target;
  std::string features; // "all" | "default": the attempt that linked the executable
  std::string crate_url, crate_sha256;
  std::string forge_version, builder, toolchain;
  std::string rustc_version; // `rustc -vV`, as printed
  std::string rustflags;
  std::vector<std::string> argv; // the build command
  std::optional<int64_t> source_date_epoch;
  std::string sandbox;
  std::string started_at, finished_at; // RFC 3339 UTC
  // GitHub Actions context (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_WORKFLOW_REF, GITHUB_RUN_ID,
  // GITHUB_RUN_ATTEMPT); empty outside it.
  std::string server_url, repository, workflow_ref, run_id, run_attempt;
  const DepGraph *graph = nullptr; // the linked crates, each a resolved dependency
};

// The Statement: subject = the executable's SHA-256; buildDefinition = buildType, externalParameters (crate,
// version, target, features, source), internalParameters (forge, builder, toolchain, rustc -vV, RUSTFLAGS,
// argv, SOURCE_DATE_EPOCH, sandbox), resolvedDependencies (the .crate, then every linked crate with its
// Cargo.lock checksum); runDetails = builder id (the workflow on GitHub Actions, else local), invocation,
// start and finish.
nlohmann::ordered_json provenance_statement(const ProvenanceInputs &in);

// Fills the GitHub Actions context from the environment (empty where unset).
void fill_github_context(ProvenanceInputs &in);

} // namespace forge
