// Why: Cargo.toml's [[bin]] tables say which executables a crate means to ship; forge compares them with
// what the build produced, so a feature-gated tool lost to the default-features fallback is named.
#include "forge/compile/manifest.hpp"
#include "forge/util/error.hpp"

#include "run_fixtures.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace {

using forge::test_run::TempDir;

void write(const std::filesystem::path &p, const std::string &text) {
  std::ofstream(p, std::ios::binary) << text;
}

TEST(CrateManifest, DeclaredBinsWithTheirRequiredFeatures) {
  TempDir dir("manifest");
  write(dir.path() / "Cargo.toml", R"([package]
name = "tool"
version = "1.2.3"
license = "MIT OR Apache-2.0"

[[bin]]
name = "tool"

[[bin]]
name = "tool-gui"
required-features = ["gui", "x11"]
)");
  const auto m = forge::read_manifest(dir.path());
  EXPECT_EQ(m.name, "tool");
  EXPECT_EQ(m.version, "1.2.3");
  ASSERT_EQ(m.bins.size(), 2u);
  EXPECT_EQ(m.bins[0].name, "tool");
  EXPECT_TRUE(m.bins[0].required_features.empty());
  EXPECT_EQ(m.bins[1].name, "tool-gui");
  EXPECT_EQ(m.bins[1].required_features, (std::vector<std::string>{"gui", "x11"}));
  EXPECT_FALSE(m.has_lock);
}

TEST(CrateManifest, MissingDeclaredBinsAreNamedWithTheirFeatures) {
  forge::CrateManifest m;
  m.bins = {{"tool", {}}, {"tool-gui", {"gui", "x11"}}, {"helper", {}}};
  EXPECT_EQ(forge::missing_declared_bins(m, {"tool", "helper"}),
            (std::vector<std::string>{"tool-gui (required-features: gui, x11)"}));
  EXPECT_EQ(forge::missing_declared_bins(m, {"tool"}),
            (std::vector<std::string>{"tool-gui (required-features: gui, x11)", "helper"}));
  EXPECT_TRUE(forge::missing_declared_bins(m, {"tool", "tool-gui", "helper", "auto-discovered"}).empty());
  EXPECT_TRUE(forge::missing_declared_bins(forge::CrateManifest{}, {"anything"}).empty());
}

TEST(CrateManifest, NoPackageTableIsADataError) {
  TempDir dir("manifest");
  write(dir.path() / "Cargo.toml", "[workspace]\nmembers = []\n");
  try {
    forge::read_manifest(dir.path());
    FAIL() << "expected an error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::data);
    EXPECT_NE(std::string(e.what()).find("Cargo.toml"), std::string::npos);
  }
}

} // namespace
