// Why: the SBOM, the provenance and the purls are read by tools no one here wrote; their shapes are fixed by
// CycloneDX 1.5, in-toto v1 and SLSA v1 (the e2e suite validates the SBOM against the official schema).
#include "forge/metadata/dep_graph.hpp"
#include "forge/metadata/provenance.hpp"
#include "forge/metadata/sbom.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace {

using namespace forge;
using nlohmann::ordered_json;

DepGraph small_graph() {
  DepGraph g;
  DepPackage app;
  app.name = "app";
  app.version = "1.2.3";
  app.source = std::string(kCratesIoSource);
  app.license = "MIT/Apache-2.0";
  app.root = true;
  app.deps = {1, 2};
  DepPackage libc;
  libc.name = "libc";
  libc.version = "0.2.139";
  libc.source = std::string(kCratesIoSource);
  libc.checksum = "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79";
  libc.license = "MIT OR Apache-2.0";
  DepPackage odd;
  odd.name = "odd";
  odd.version = "0.1.0";
  odd.source = "git+https://example.org/odd?branch=x#abc123";
  odd.license = "see LICENSE file";
  odd.deps = {1};
  g.packages = {app, libc, odd};
  return g;
}

TEST(DepGraph, PurlsAndLicences) {
  const DepGraph g = small_graph();
  EXPECT_EQ(cargo_purl(g.packages[1]), "pkg:cargo/libc@0.2.139");
  EXPECT_EQ(cargo_purl(g.packages[2]), "pkg:cargo/odd@0.1.0?vcs_url=git%2Bhttps://example.org/odd%40abc123");
  DepPackage alt;
  alt.name = "x";
  alt.version = "1.0.0+build";
  alt.source = "sparse+https://reg.example/index/";
  EXPECT_EQ(cargo_purl(alt), "pkg:cargo/x@1.0.0%2Bbuild?repository_url=https://reg.example/index/");
  EXPECT_EQ(spdx_license_expression("MIT/Apache-2.0"), "MIT OR Apache-2.0");
  EXPECT_EQ(spdx_license_expression(" MIT / Apache-2.0 "), "MIT OR Apache-2.0");
  EXPECT_EQ(spdx_license_expression("Apache-2.0 WITH LLVM-exception OR MIT"),
            "Apache-2.0 WITH LLVM-exception OR MIT");
  EXPECT_EQ(spdx_license_expression(""), "");
  EXPECT_TRUE(looks_like_spdx_expression("(MIT OR Apache-2.0) AND Unicode-DFS-2016"));
  EXPECT_TRUE(looks_like_spdx_expression("GPL-3.0+"));
  EXPECT_FALSE(looks_like_spdx_expression("see LICENSE file"));
  EXPECT_FALSE(looks_like_spdx_expression("MIT OR"));
  EXPECT_FALSE(looks_like_spdx_expression("(MIT"));
  EXPECT_FALSE(looks_like_spdx_expression("MIT Apache-2.0"));
  EXPECT_EQ(auditable_source(""), "local");
  EXPECT_EQ(auditable_source(kCratesIoSource), "crates.io");
  EXPECT_EQ(auditable_source("registry+https://my.reg/index"), "registry");
}

SbomInputs sbom_inputs(const DepGraph *g) {
  SbomInputs in;
  in.exe = "app-cli";
  in.crate = "app";
  in.version = "1.2.3";
  in.sha256 = std::string(64, '1');
  in.blake3 = std::string(64, '2');
  in.target = "x86_64-unknown-linux-musl";
  in.crate_url = "https://static.crates.io/crates/app/app-1.2.3.crate";
  in.crate_sha256 = std::string(64, '3');
  in.repository = "https://github.com/o/app";
  in.timestamp = "2025-01-02T03:04:05Z";
  in.forge_version = "9.9.9";
  in.graph = g;
  return in;
}

TEST(Sbom, CycloneDx15Document) {
  const DepGraph g = small_graph();
  const ordered_json bom = cyclonedx_sbom(sbom_inputs(&g));
  EXPECT_EQ(bom["bomFormat"], "CycloneDX");
  EXPECT_EQ(bom["specVersion"], "1.5");
  EXPECT_TRUE(std::regex_match(
      bom["serialNumber"].get<std::string>(),
      std::regex("urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  EXPECT_NE(bom["serialNumber"], cyclonedx_sbom(sbom_inputs(&g))["serialNumber"]);
  const auto &main = bom["metadata"]["component"];
  EXPECT_EQ(main["type"], "application");
  EXPECT_EQ(main["name"], "app-cli");
  EXPECT_EQ(main["purl"], "pkg:cargo/app@1.2.3");
  EXPECT_EQ(main["hashes"][0], (ordered_json{{"alg", "SHA-256"}, {"content", std::string(64, '1')}}));
  EXPECT_EQ(main["hashes"][1], (ordered_json{{"alg", "BLAKE3"}, {"content", std::string(64, '2')}}));
  EXPECT_EQ(main["licenses"][0]["expression"], "MIT OR Apache-2.0");
  EXPECT_EQ(main["externalReferences"][0]["type"], "distribution");
  EXPECT_EQ(main["externalReferences"][0]["hashes"][0]["content"], std::string(64, '3'));
  EXPECT_EQ(bom["metadata"]["tools"]["components"][0]["name"], "forge");

  ASSERT_EQ(bom["components"].size(), 2U);
  const auto &libc = bom["components"][0];
  EXPECT_EQ(libc["type"], "library");
  EXPECT_EQ(libc["purl"], "pkg:cargo/libc@0.2.139");
  EXPECT_EQ(libc["bom-ref"], libc["purl"]);
  EXPECT_EQ(libc["hashes"][0]["content"], "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79");
  EXPECT_EQ(libc["licenses"][0]["expression"], "MIT OR Apache-2.0");
  EXPECT_EQ(libc["externalReferences"][0]["url"], "https://crates.io/api/v1/crates/libc/0.2.139/download");
  const auto &odd = bom["components"][1];
  EXPECT_FALSE(odd.contains("hashes"));
  EXPECT_EQ(odd["licenses"][0]["license"]["name"], "see LICENSE file");

  // Every component and the main one appear once in the graph; every reference names a bom-ref.
  std::set<std::string> refs{main["bom-ref"].get<std::string>()};
  for (const auto &c : bom["components"]) {
    refs.insert(c["bom-ref"].get<std::string>());
  }
  ASSERT_EQ(bom["dependencies"].size(), 3U);
  std::set<std::string> seen;
  for (const auto &d : bom["dependencies"]) {
    EXPECT_TRUE(refs.count(d["ref"].get<std::string>())) << d;
    seen.insert(d["ref"].get<std::string>());
    for (const auto &on : d["dependsOn"]) {
      EXPECT_TRUE(refs.count(on.get<std::string>())) << on;
    }
  }
  EXPECT_EQ(seen, refs);
  EXPECT_EQ(bom["dependencies"][0]["ref"], main["bom-ref"]);
  EXPECT_EQ(bom["dependencies"][0]["dependsOn"].size(), 2U);
}

TEST(Sbom, WithoutDependencyDataTheExecutableAlone) {
  const ordered_json bom = cyclonedx_sbom(sbom_inputs(nullptr));
  EXPECT_TRUE(bom["components"].empty());
  ASSERT_EQ(bom["dependencies"].size(), 1U);
  EXPECT_EQ(bom["dependencies"][0]["ref"], bom["metadata"]["component"]["bom-ref"]);
}

TEST(Provenance, InTotoStatementWithSlsaPredicate) {
  const DepGraph g = small_graph();
  ProvenanceInputs in;
  in.exe = "app-cli";
  in.sha256 = std::string(64, '1');
  in.crate = "app";
  in.version = "1.2.3";
  in.target = "x86_64-unknown-linux-musl";
  in.features = "all";
  in.crate_url = "https://static.crates.io/crates/app/app-1.2.3.crate";
  in.crate_sha256 = std::string(64, '3');
  in.forge_version = "9.9.9";
  in.builder = "cargo";
  in.toolchain = "stable";
  in.rustc_version = "rustc 1.95.0\nhost: x86_64-unknown-linux-gnu\n";
  in.rustflags = "-C target-feature=+crt-static";
  in.argv = {"cargo", "build"};
  in.source_date_epoch = 1700000000;
  in.started_at = "2025-01-02T03:04:05Z";
  in.finished_at = "2025-01-02T03:05:05Z";
  in.graph = &g;
  ordered_json s = provenance_statement(in);
  EXPECT_EQ(s["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(s["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(s["subject"],
            (ordered_json::array({{{"name", "app-cli"}, {"digest", {{"sha256", std::string(64, '1')}}}}})));
  const auto &def = s["predicate"]["buildDefinition"];
  EXPECT_EQ(def["buildType"], kForgeBuildType);
  EXPECT_EQ(def["externalParameters"]["source"]["digest"]["sha256"], std::string(64, '3'));
  EXPECT_EQ(def["internalParameters"]["sourceDateEpoch"], 1700000000);
  EXPECT_EQ(def["internalParameters"]["rustc"], in.rustc_version);
  ASSERT_EQ(def["resolvedDependencies"].size(), 3U); // the .crate, libc, odd (the root is the .crate)
  EXPECT_EQ(def["resolvedDependencies"][0]["name"], "app-1.2.3.crate");
  EXPECT_EQ(def["resolvedDependencies"][1]["uri"], "pkg:cargo/libc@0.2.139");
  EXPECT_FALSE(def["resolvedDependencies"][2].contains("digest"));
  const auto &run = s["predicate"]["runDetails"];
  EXPECT_EQ(run["builder"]["id"], "urn:forge:builder:local");
  EXPECT_FALSE(run["metadata"].contains("invocationId"));
  EXPECT_EQ(run["metadata"]["finishedOn"], "2025-01-02T03:05:05Z");

  in.server_url = "https://github.com";
  in.repository = "o/r";
  in.workflow_ref = "o/r/.github/workflows/forge.yml@refs/heads/main";
  in.run_id = "42";
  in.run_attempt = "2";
  s = provenance_statement(in);
  EXPECT_EQ(s["predicate"]["runDetails"]["builder"]["id"],
            "https://github.com/o/r/.github/workflows/forge.yml@refs/heads/main");
  EXPECT_EQ(s["predicate"]["runDetails"]["metadata"]["invocationId"],
            "https://github.com/o/r/actions/runs/42/attempts/2");
}

} // namespace
