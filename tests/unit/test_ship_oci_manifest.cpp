// Why: soar installs by the layer titled pkg_name and checks the bsum annotation; the manifest must also
// be byte-identical for identical inputs, or every re-publish would move the tag.
#include "forge/hash/sha256.hpp"
#include "forge/ship/oci_manifest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::ordered_json;

ordered_json fd_record() {
  return ordered_json::parse(R"({"_disabled":"false","pkg":"fd","pkg_family":"fd-find",
    "pkg_id":"pkgforge-cargo.fd-find.stable","pkg_name":"fd","pkg_type":"static",
    "pkg_webpage":"https://crates.io/crates/fd-find","version":"10.2.0","version_upstream":"10.2.0",
    "description":"fd is a simple, fast and user-friendly alternative to find.",
    "homepage":["https://github.com/sharkdp/fd"],"license":["MIT OR Apache-2.0"],
    "bsum":"4853d9abe0cb7da87cd138f7e54b4bdea83a346740f45a5a0c53b466b2a5e1bd",
    "shasum":"c31e928be90231baebd81eab8bf408a516a62de71408ff8d4afd14dd9ed2cd6e","size":"4376008",
    "size_raw":"4376008","host":"x86_64-Linux","build_date":"2025-06-14T13:14:21Z","build_id":"",
    "download_url":"https://api.ghcr.pkgforge.dev/pkgforge-cargo/fd-find/stable/fd?tag=10.2.0-x86_64-Linux&download=fd",
    "ghcr_pkg":"ghcr.io/pkgforge-cargo/fd-find/stable/fd:10.2.0-x86_64-Linux",
    "ghcr_url":"https://ghcr.io/pkgforge-cargo/fd-find/stable/fd","snapshots":["10.2.0-x86_64-Linux"]})");
}

TEST(OciManifest, EmptyConfigIsTheWellKnownBlob) {
  const forge::Blob config = forge::empty_config_blob();
  EXPECT_EQ(config.content, "{}");
  EXPECT_EQ(config.size, 2U);
  EXPECT_EQ(config.media_type, "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(config.digest, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(OciManifest, AnnotationsCarryTheRecord) {
  const ordered_json record = fd_record();
  const auto a = forge::manifest_annotations(record);
  EXPECT_EQ(a.at("dev.pkgforge.soar.bsum"), record["bsum"]);
  EXPECT_EQ(a.at("dev.pkgforge.soar.shasum"), record["shasum"]);
  EXPECT_EQ(a.at("dev.pkgforge.soar.build_date"), "2025-06-14T13:14:21Z");
  EXPECT_EQ(a.at("dev.pkgforge.soar.pkg"), "fd");
  EXPECT_EQ(a.at("dev.pkgforge.soar.pkg_family"), "fd-find");
  EXPECT_EQ(a.at("dev.pkgforge.soar.pkg_name"), "fd");
  EXPECT_EQ(a.at("dev.pkgforge.soar.pkg_id"), "pkgforge-cargo.fd-find.stable");
  EXPECT_EQ(a.at("dev.pkgforge.soar.version"), "10.2.0");
  EXPECT_EQ(a.at("dev.pkgforge.soar.download_url"), record["download_url"]);
  EXPECT_EQ(a.at("dev.pkgforge.soar.ghcr_pkg"), record["ghcr_pkg"]);
  EXPECT_EQ(a.at("dev.pkgforge.soar.homepage"), "https://github.com/sharkdp/fd");
  EXPECT_EQ(ordered_json::parse(a.at("dev.pkgforge.soar.json")), record);
  EXPECT_EQ(a.count("dev.pkgforge.soar.build_id"), 0U); // empty strings are left out
  EXPECT_EQ(a.count("dev.pkgforge.soar._disabled"), 0U);
  EXPECT_EQ(a.at("org.opencontainers.image.created"), "2025-06-14T13:14:21Z");
  EXPECT_EQ(a.at("org.opencontainers.image.description"), record["description"]);
  EXPECT_EQ(a.at("org.opencontainers.image.licenses"), "MIT OR Apache-2.0");
  EXPECT_EQ(a.at("org.opencontainers.image.source"), "https://github.com/sharkdp/fd");
  EXPECT_EQ(a.at("org.opencontainers.image.title"), "fd");
  EXPECT_EQ(a.at("org.opencontainers.image.version"), "10.2.0");
  EXPECT_EQ(a.at("org.opencontainers.image.url"), "https://crates.io/crates/fd-find");
}

TEST(OciManifest, SourceOverrideAndFallbacks) {
  ordered_json record = fd_record();
  EXPECT_EQ(forge::manifest_annotations(record, "https://github.com/me/builder")
                .at("org.opencontainers.image.source"),
            "https://github.com/me/builder");
  record["homepage"] = ordered_json::array();
  record["license"] = ordered_json::array({"MIT", "Zlib"});
  const auto a = forge::manifest_annotations(record);
  EXPECT_EQ(a.at("org.opencontainers.image.source"), "https://crates.io/crates/fd-find");
  EXPECT_EQ(a.at("org.opencontainers.image.licenses"), "MIT AND Zlib");
  record["license"] = ordered_json::array();
  EXPECT_EQ(forge::manifest_annotations(record).at("org.opencontainers.image.licenses"), "NOASSERTION");
}

TEST(OciManifest, ManifestLayoutAndTitles) {
  const forge::Blob config = forge::empty_config_blob();
  std::vector<forge::Blob> layers{forge::memory_blob("ELF...", "fd"),
                                  forge::memory_blob("fd:abc\n", "CHECKSUM"),
                                  forge::memory_blob("{}\n", "fd.json")};
  const std::string text = forge::build_manifest(config, layers, forge::manifest_annotations(fd_record()));
  const auto m = ordered_json::parse(text);
  EXPECT_EQ(m["schemaVersion"], 2);
  EXPECT_EQ(m["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(m["config"]["digest"], config.digest);
  EXPECT_EQ(m["config"]["size"], 2);
  EXPECT_FALSE(m["config"].contains("annotations"));
  ASSERT_EQ(m["layers"].size(), 3U);
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_EQ(m["layers"][i]["digest"], layers[i].digest);
    EXPECT_EQ(m["layers"][i]["size"], layers[i].size);
    EXPECT_EQ(m["layers"][i]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
    EXPECT_EQ(m["layers"][i]["annotations"]["org.opencontainers.image.title"], layers[i].title);
  }
  EXPECT_EQ(layers[0].digest, "sha256:" + forge::sha256_hex("ELF..."));
  EXPECT_EQ(m["annotations"]["dev.pkgforge.soar.bsum"], fd_record()["bsum"]);
  // Same inputs, same bytes: a re-publish does not move the tag.
  EXPECT_EQ(text, forge::build_manifest(config, layers, forge::manifest_annotations(fd_record())));
}

} // namespace
