// Why: the manifest is what soar and GHCR read about a package; it is built from the soar record alone so
// that the record, the annotations and the layers can never disagree.
#include "forge/ship/oci_manifest.hpp"

#include "forge/hash/sha256.hpp"
#include "forge/util/error.hpp"
#include "forge/util/json_read.hpp"

#include <array>
#include <system_error>

namespace forge {
namespace {

using nlohmann::ordered_json;

// Record fields copied to dev.pkgforge.soar.<field> when they are non-empty strings.
constexpr std::array<const char *, 22> kSoarFields{"bsum",         "build_date",
                                                   "build_gha",    "build_id",
                                                   "build_log",    "description",
                                                   "download_url", "ghcr_pkg",
                                                   "ghcr_url",     "host",
                                                   "manifest_url", "pkg",
                                                   "pkg_family",   "pkg_id",
                                                   "pkg_name",     "pkg_type",
                                                   "pkg_webpage",  "shasum",
                                                   "size",         "size_raw",
                                                   "version",      "version_upstream"};

std::string first_of_array(const ordered_json &record, const char *key) {
  for (const auto &v : strings_or_empty(record, key)) {
    if (!v.empty()) {
      return v;
    }
  }
  return {};
}

std::string joined_array(const ordered_json &record, const char *key, const char *sep) {
  std::string out;
  for (const auto &v : strings_or_empty(record, key)) {
    if (!v.empty()) {
      out += (out.empty() ? "" : sep) + v;
    }
  }
  return out;
}

ordered_json descriptor(const Blob &blob) {
  ordered_json d;
  d["mediaType"] = blob.media_type;
  d["digest"] = blob.digest;
  d["size"] = blob.size;
  if (!blob.title.empty()) {
    d["annotations"] = ordered_json::object({{kTitleAnnotation, blob.title}});
  }
  return d;
}

} // namespace

std::string sha256_digest(std::string_view data) {
  return "sha256:" + sha256_hex(data);
}

Blob file_blob(const std::filesystem::path &file, std::string title) {
  Blob b;
  b.title = std::move(title);
  b.file = file;
  std::error_code ec;
  b.size = std::filesystem::file_size(file, ec);
  if (ec) {
    fail(ExitCode::io, "cannot read {}: {}", file.string(), ec.message());
  }
  b.digest = "sha256:" + sha256_file_hex(file);
  return b;
}

Blob memory_blob(std::string content, std::string title, std::string media_type) {
  Blob b;
  b.title = std::move(title);
  b.media_type = std::move(media_type);
  b.digest = sha256_digest(content);
  b.size = content.size();
  b.content = std::move(content);
  return b;
}

Blob empty_config_blob() {
  return memory_blob(kEmptyConfig, "", kOciEmptyType);
}

std::map<std::string, std::string> manifest_annotations(const ordered_json &record,
                                                        const std::string &source) {
  std::map<std::string, std::string> out;
  for (const char *key : kSoarFields) {
    if (std::string v = string_or(record, key); !v.empty()) {
      out[std::string("dev.pkgforge.soar.") + key] = std::move(v);
    }
  }
  if (std::string homepage = first_of_array(record, "homepage"); !homepage.empty()) {
    out["dev.pkgforge.soar.homepage"] = homepage;
  }
  out["dev.pkgforge.soar.json"] = record.dump();

  const auto put = [&out](const char *key, std::string value) {
    if (!value.empty()) {
      out[std::string("org.opencontainers.image.") + key] = std::move(value);
    }
  };
  put("created", string_or(record, "build_date"));
  put("description", string_or(record, "description"));
  // SPDX's word for "unknown": the annotation is always there, as GHCR shows it.
  std::string licenses = joined_array(record, "license", " AND ");
  put("licenses", licenses.empty() ? "NOASSERTION" : licenses);
  std::string src = source;
  if (src.empty()) {
    src = first_of_array(record, "homepage");
  }
  if (src.empty()) {
    src = string_or(record, "pkg_webpage");
  }
  put("source", src);
  put("title", string_or(record, "pkg_name"));
  put("url", string_or(record, "pkg_webpage"));
  put("version", string_or(record, "version"));
  return out;
}

std::string build_manifest(const Blob &config, const std::vector<Blob> &layers,
                           const std::map<std::string, std::string> &annotations) {
  ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = kOciManifestType;
  m["artifactType"] = kSoarArtifactType;
  m["config"] = descriptor(config);
  m["layers"] = ordered_json::array();
  for (const auto &layer : layers) {
    m["layers"].push_back(descriptor(layer));
  }
  ordered_json ann = ordered_json::object();
  for (const auto &[key, value] : annotations) {
    ann[key] = value;
  }
  m["annotations"] = ann;
  return m.dump();
}

} // namespace forge
