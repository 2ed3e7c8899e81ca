// Why: `forge publish` as a library call: every built static executable in an out dir becomes one OCI
// artifact in soar's layout, pushed so that a tag only ever names a complete, verified artifact.
#pragma once
#include "forge/queue/queue.hpp"
#include "forge/ship/oci_client.hpp"
#include "forge/ship/oci_manifest.hpp"
#include "forge/util/error.hpp"

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forge {

inline constexpr const char *kPublishFormat = "forge-publish/1";

struct PublishRequest {
  std::filesystem::path out = kDefaultOutDir;
  std::string name_space = "pkgforge-cargo"; // the OCI owner: <registry>/<namespace>/<crate>/stable/<exe>
  std::vector<std::string> only;             // crate names; empty = all
  bool dry_run = false;
  int jobs = 4;            // executables published at once
  std::string source;      // org.opencontainers.image.source; empty = the crate's repository
  OciClientOptions client; // registry endpoint, credentials, retries, chunking
};

// One executable to publish, as found in the out dir.
struct PublishItem {
  std::filesystem::path dir; // <out>/<host>/<crate>/<version>
  std::string crate, version, host, exe;
  std::string bsum;
  std::string repository;        // path on the registry (no host), lowercased
  std::string tag;               // <version>-<host>
  nlohmann::ordered_json record; // <exe>.json, OCI fields rewritten for the destination
  std::vector<Blob> files;       // exe, CHECKSUM, LICENSE, <exe>.log, <exe>.version (the record comes later)
  std::vector<Blob> attachments; // <exe>.cdx.json, <exe>.intoto.json when the build wrote them
};

// Scans `<out>/<host>/<crate>/<version>/result.json` for status "built" and takes every static executable,
// checking each file's BLAKE3 against result.json and the record, and that the SBOM and provenance
// result.json names describe this very file (its SHA-256). Throws Error(usage) when the out dir does
// not exist or --only names a crate with nothing built, Error(checksum) when a file does not match.
std::vector<PublishItem> plan_publish(const PublishRequest &request);

// Points the record's OCI fields (ghcr_pkg, ghcr_url, download_url, build_log, manifest_url) at the
// destination when it differs from where the record says the executable lives, and sets `snapshots` to
// the host's tags (plus this one), newest first.
void retarget_record(nlohmann::ordered_json &record, const PublishItem &item,
                     const RegistryEndpoint &endpoint, const std::string &name_space,
                     const std::vector<std::string> &tags);

// Tags sorted newest first by a digit-aware comparison ("1.10.0-x" after "1.9.0-x").
bool tag_newer(const std::string &a, const std::string &b);

struct PublishOutcome {
  size_t planned = 0;
  size_t published = 0;
  std::vector<std::string> failures; // one line each
  ExitCode code = ExitCode::ok;
  OciStats stats;
};

// Publishes (or, with dry_run, prints the plan of) every item, `jobs` at a time; `say` receives each report
// line (called under a lock). Continues after a network failure of one executable (listed in failures);
// stops and rethrows when the registry refuses or a local file fails.
PublishOutcome run_publish(const PublishRequest &request,
                           const std::function<void(const std::string &)> &say);

} // namespace forge
