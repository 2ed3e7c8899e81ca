// Why: soar looks executables up by exact repository and tag; a name the registry rejects must be caught
// before any upload, and mixed-case crate names must land where soar's lowercased ghcr_pkg points.
#include "forge/ship/oci_naming.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

namespace {

TEST(OciNaming, RepositoryIsLowercasedSoarLayout) {
  EXPECT_EQ(forge::oci_repository_path("pkgforge-cargo", "fd-find", "fd"),
            "pkgforge-cargo/fd-find/stable/fd");
  EXPECT_EQ(forge::oci_repository_path("PkgForge", "Inferno", "Inferno-Flamegraph"),
            "pkgforge/inferno/stable/inferno-flamegraph");
  EXPECT_EQ(forge::oci_tag("10.2.0", "x86_64-Linux"), "10.2.0-x86_64-Linux");
}

TEST(OciNaming, RepositoryValidity) {
  EXPECT_TRUE(forge::is_valid_repository_path("pkgforge-cargo/fd-find/stable/fd"));
  EXPECT_TRUE(forge::is_valid_repository_path("a/b_c/d__e/f.g/h---i"));
  EXPECT_FALSE(forge::is_valid_repository_path(""));
  EXPECT_FALSE(forge::is_valid_repository_path("Upper/case"));
  EXPECT_FALSE(forge::is_valid_repository_path("a//b"));
  EXPECT_FALSE(forge::is_valid_repository_path("a/-b"));
  EXPECT_FALSE(forge::is_valid_repository_path("a/b-"));
  EXPECT_FALSE(forge::is_valid_repository_path("a/b___c"));
  EXPECT_FALSE(forge::is_valid_repository_path("a/b+c"));
  EXPECT_FALSE(forge::is_valid_repository_path("a/b._c"));
  EXPECT_FALSE(forge::is_valid_repository_path(std::string(256, 'a')));
}

TEST(OciNaming, TagValidity) {
  EXPECT_TRUE(forge::is_valid_tag("10.2.0-x86_64-Linux"));
  EXPECT_TRUE(forge::is_valid_tag("1.0.0-rc.1-aarch64-Linux"));
  EXPECT_FALSE(forge::is_valid_tag("1.0.0+build.5-x86_64-Linux")); // semver build metadata: no '+'
  EXPECT_FALSE(forge::is_valid_tag(".hidden"));
  EXPECT_FALSE(forge::is_valid_tag("-x"));
  EXPECT_FALSE(forge::is_valid_tag(""));
  EXPECT_TRUE(forge::is_valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(forge::is_valid_tag(std::string(129, 'a')));
}

TEST(OciNaming, ParsesRegistryEndpoints) {
  auto e = forge::parse_registry("ghcr.io");
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "ghcr.io");
  EXPECT_EQ(e.base_url(), "https://ghcr.io");
  e = forge::parse_registry("http://127.0.0.1:5000/");
  EXPECT_EQ(e.scheme, "http");
  EXPECT_EQ(e.host, "127.0.0.1:5000");
  e = forge::parse_registry("HTTPS://GHCR.IO");
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "ghcr.io");
  EXPECT_THROW(forge::parse_registry(""), forge::Error);
  EXPECT_THROW(forge::parse_registry("ftp://x"), forge::Error);
  EXPECT_THROW(forge::parse_registry("ghcr.io/owner"), forge::Error);
  EXPECT_THROW(forge::parse_registry("user@ghcr.io"), forge::Error);
}

} // namespace
