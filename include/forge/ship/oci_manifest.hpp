// Why: soar reads what it installs from the manifest (layer titles, the bsum annotation, the whole record
// in dev.pkgforge.soar.json); the manifest is built here, deterministically, so a re-publish of the same
// files produces the same bytes and the same digest.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace forge {

inline constexpr const char *kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char *kOciEmptyType = "application/vnd.oci.empty.v1+json";
inline constexpr const char *kOciLayerType =
    "application/vnd.oci.image.layer.v1.tar"; // what oras gives files
inline constexpr const char *kSoarArtifactType = "application/vnd.pkgforge.soar.package.v1";
inline constexpr const char *kTitleAnnotation = "org.opencontainers.image.title";
inline constexpr const char *kBsumAnnotation = "dev.pkgforge.soar.bsum";
inline constexpr const char *kEmptyConfig = "{}";

// One blob to push: a file on disk, or bytes in memory (`content`, when `file` is empty).
struct Blob {
  std::string title; // the layer's org.opencontainers.image.title; empty for the config
  std::string media_type = kOciLayerType;
  std::filesystem::path file;
  std::string content;
  std::string digest; // "sha256:<hex>"
  uint64_t size = 0;
};

// A blob from a file or from bytes, with its SHA-256 digest and size computed.
Blob file_blob(const std::filesystem::path &file, std::string title);
Blob memory_blob(std::string content, std::string title, std::string media_type = kOciLayerType);
// The empty JSON config `{}` (application/vnd.oci.empty.v1+json).
Blob empty_config_blob();

// The manifest annotations for one soar record: dev.pkgforge.soar.<field> for the record's string fields
// (bsum, shasum, build_date, pkg, pkg_family, pkg_name, version, download_url, ghcr_pkg, …), json = the
// whole record (compact), and org.opencontainers.image.{created, description, licenses, source, title,
// url, version}; licenses is NOASSERTION when the record has none. `source` overrides the crate's
// repository as org.opencontainers.image.source.
std::map<std::string, std::string> manifest_annotations(const nlohmann::ordered_json &record,
                                                        const std::string &source = {});

// The OCI image manifest (schemaVersion 2) as the exact bytes to push.
std::string build_manifest(const Blob &config, const std::vector<Blob> &layers,
                           const std::map<std::string, std::string> &annotations);

// "sha256:" + the SHA-256 of `data`.
std::string sha256_digest(std::string_view data);

} // namespace forge
