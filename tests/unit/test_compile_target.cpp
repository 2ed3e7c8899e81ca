// Why: a target alias decides both what cargo builds and under which soar host the result is filed; a wrong
// mapping silently publishes an executable for the wrong machine.
#include "forge/compile/target.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

std::vector<std::string> triples(const std::vector<forge::Target> &targets) {
  std::vector<std::string> out;
  for (const auto &t : targets) {
    out.push_back(t.triple);
  }
  return out;
}

TEST(TargetAlias, TheOriginalPipelinesFourMuslTargets) {
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> cases = {
      {"x86_64", {"x86_64-unknown-linux-musl", "x86_64-Linux"}},
      {"aarch64", {"aarch64-unknown-linux-musl", "aarch64-Linux"}},
      {"riscv64", {"riscv64gc-unknown-linux-musl", "riscv64-Linux"}},
      {"loongarch64", {"loongarch64-unknown-linux-musl", "loongarch64-Linux"}},
  };
  for (const auto &[alias, expected] : cases) {
    const forge::Target t = forge::resolve_target(alias);
    EXPECT_EQ(t.triple, expected.first) << alias;
    EXPECT_EQ(t.host, expected.second) << alias;
    EXPECT_TRUE(t.musl()) << alias;
  }
  EXPECT_EQ(forge::default_target_aliases(),
            (std::vector<std::string>{"x86_64", "aarch64", "riscv64", "loongarch64"}));
}

TEST(TargetAlias, FullTriplesAreTakenAsIs) {
  const forge::Target gnu = forge::resolve_target("aarch64-unknown-linux-gnu");
  EXPECT_EQ(gnu.triple, "aarch64-unknown-linux-gnu");
  EXPECT_EQ(gnu.host, "aarch64-Linux");
  EXPECT_FALSE(gnu.musl());
  EXPECT_EQ(forge::resolve_target("x86_64-unknown-linux-gnu").host, "x86_64-Linux");
  EXPECT_EQ(forge::resolve_target("riscv64gc-unknown-linux-gnu").host, "riscv64-Linux");
  EXPECT_EQ(forge::resolve_target("armv7-unknown-linux-musleabihf").host, "armv7-Linux");
  EXPECT_TRUE(forge::resolve_target("armv7-unknown-linux-musleabihf").musl());
  EXPECT_EQ(forge::resolve_target("i686-unknown-linux-musl").host, "i686-Linux");
  EXPECT_EQ(forge::resolve_target("aarch64-apple-darwin").host, "aarch64-Darwin");
}

TEST(TargetAlias, UnknownSpecsAreUsageErrors) {
  for (const std::string bad : {"", "arm", "x86-64", "X86_64-unknown-linux-musl", "aarch64 unknown linux",
                                "x86_64-linux", "$(rm -rf)-a-b"}) {
    try {
      forge::resolve_target(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const forge::Error &e) {
      EXPECT_EQ(e.code(), forge::ExitCode::usage) << bad;
      EXPECT_NE(std::string(e.what()).find("unknown target"), std::string::npos) << bad;
    }
  }
}

TEST(TargetList, AllMeansTheFour) {
  EXPECT_EQ(triples(forge::resolve_targets({"all"})),
            (std::vector<std::string>{"x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl",
                                      "riscv64gc-unknown-linux-musl", "loongarch64-unknown-linux-musl"}));
}

TEST(TargetList, EmptyMeansX86_64) {
  EXPECT_EQ(triples(forge::resolve_targets({})), (std::vector<std::string>{"x86_64-unknown-linux-musl"}));
}

TEST(TargetList, DuplicatesAreDroppedInOrder) {
  EXPECT_EQ(triples(forge::resolve_targets(
                {"aarch64", "x86_64-unknown-linux-gnu", "aarch64-unknown-linux-musl", "all"})),
            (std::vector<std::string>{"aarch64-unknown-linux-musl", "x86_64-unknown-linux-gnu",
                                      "x86_64-unknown-linux-musl", "riscv64gc-unknown-linux-musl",
                                      "loongarch64-unknown-linux-musl"}));
}

TEST(TargetList, OneBadSpecFailsTheList) {
  EXPECT_THROW(forge::resolve_targets({"x86_64", "sparc"}), forge::Error);
}

TEST(TargetHost, TripletsForSoar) {
  EXPECT_EQ(forge::host_triplet("riscv64gc-unknown-linux-musl"), "riscv64-Linux");
  EXPECT_EQ(forge::host_triplet("loongarch64-unknown-linux-gnu"), "loongarch64-Linux");
  EXPECT_EQ(forge::host_triplet("x86_64-unknown-freebsd"), "x86_64-FreeBSD");
  EXPECT_EQ(forge::host_triplet("x86_64-pc-windows-gnu"), "x86_64-Windows");
}

TEST(TargetHost, NativeTripleIsThisMachine) {
  const std::string native = forge::native_triple();
#if defined(__x86_64__)
  EXPECT_EQ(native, "x86_64-unknown-linux-gnu");
#elif defined(__aarch64__)
  EXPECT_EQ(native, "aarch64-unknown-linux-gnu");
#endif
  EXPECT_EQ(forge::resolve_target(native).triple, native);
}

} // namespace
