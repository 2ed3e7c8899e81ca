// Why: the builder command line and environment decide whether an executable is static, optimised and found
// afterwards; each builder, toolchain kind and target family is pinned here exactly, without running cargo.
#include "forge/compile/builder.hpp"
#include "forge/compile/subprocess.hpp"
#include "forge/util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using forge::BuilderKind;
using forge::BuilderSettings;
using forge::FeatureSet;
using Env = std::vector<std::pair<std::string, std::string>>;

// The original pipeline's RUSTFLAGS, verbatim from its build script (musl targets).
const std::string kOriginalMuslFlags =
    "-C target-feature=+crt-static -C default-linker-libraries=yes -C link-self-contained=yes -C "
    "prefer-dynamic=no "
    "-C embed-bitcode=yes -C lto=yes -C opt-level=3 -C debuginfo=none -C strip=symbols -C link-arg=-Wl,-S "
    "-C link-arg=-Wl,--build-id=none -C link-arg=-Wl,--discard-all -C link-arg=-Wl,--strip-all";

const std::string kGnuFlags =
    "-C target-feature=+crt-static -C prefer-dynamic=no -C embed-bitcode=yes -C lto=yes -C opt-level=3 "
    "-C debuginfo=none -C strip=symbols -C link-arg=-Wl,-S -C link-arg=-Wl,--build-id=none "
    "-C link-arg=-Wl,--discard-all -C link-arg=-Wl,--strip-all";

std::optional<std::string> env_of(const Env &env, const std::string &key) {
  const auto it = std::find_if(env.begin(), env.end(), [&](const auto &kv) { return kv.first == key; });
  if (it == env.end()) {
    return std::nullopt;
  }
  return it->second;
}

BuilderSettings settings(BuilderKind kind, std::string toolchain) {
  BuilderSettings s;
  s.kind = kind;
  s.toolchain = std::move(toolchain);
  s.jobs = 3;
  return s;
}

forge::BuildInvocation invoke(const BuilderSettings &s, const std::string &target, FeatureSet features,
                              bool locked = false) {
  return forge::make_invocation(s, forge::resolve_target(target), features, locked, "/b/target",
                                "/b/artifacts");
}

using Argv = std::vector<std::string>;

TEST(BuilderArgv, CrossIsTheOriginalCommand) {
  const auto inv = invoke(settings(BuilderKind::cross, "nightly"), "aarch64", FeatureSet::all);
  EXPECT_EQ(inv.argv, (Argv{"cross", "+nightly", "build", "--target", "aarch64-unknown-linux-musl", "-Z",
                            "unstable-options", "--all-features", "--artifact-dir", "/b/artifacts", "--jobs",
                            "3", "--release", "--verbose"}));
  EXPECT_EQ(inv.collect_dir, "/b/artifacts");
}

TEST(BuilderArgv, CrossProgramIsConfigurable) {
  BuilderSettings s = settings(BuilderKind::cross, "nightly-2025-06-01");
  s.cross_program = "/opt/cross/bin/cross";
  const auto inv = invoke(s, "riscv64", FeatureSet::default_);
  EXPECT_EQ(inv.argv, (Argv{"/opt/cross/bin/cross", "+nightly-2025-06-01", "build", "--target",
                            "riscv64gc-unknown-linux-musl", "-Z", "unstable-options", "--artifact-dir",
                            "/b/artifacts", "--jobs", "3", "--release", "--verbose"}));
}

TEST(BuilderArgv, ZigbuildIsACargoSubcommand) {
  const auto inv = invoke(settings(BuilderKind::zigbuild, "nightly"), "loongarch64", FeatureSet::all, true);
  EXPECT_EQ(inv.argv, (Argv{"cargo", "+nightly", "zigbuild", "--target", "loongarch64-unknown-linux-musl",
                            "-Z", "unstable-options", "--all-features", "--artifact-dir", "/b/artifacts",
                            "--jobs", "3", "--release", "--verbose", "--locked"}));
  EXPECT_EQ(inv.collect_dir, "/b/artifacts");
}

TEST(BuilderArgv, ZigbuildOnStableCollectsFromTargetDir) {
  const auto inv = invoke(settings(BuilderKind::zigbuild, "stable"), "x86_64", FeatureSet::default_);
  EXPECT_EQ(inv.argv, (Argv{"cargo", "+stable", "zigbuild", "--target", "x86_64-unknown-linux-musl", "--jobs",
                            "3", "--release", "--verbose"}));
  EXPECT_EQ(inv.collect_dir, "/b/target/x86_64-unknown-linux-musl/release");
}

TEST(BuilderArgv, CargoNightlyUsesArtifactDir) {
  const auto inv = invoke(settings(BuilderKind::cargo, "nightly"), "x86_64", FeatureSet::all);
  EXPECT_EQ(inv.argv, (Argv{"cargo", "+nightly", "build", "--target", "x86_64-unknown-linux-musl", "-Z",
                            "unstable-options", "--all-features", "--artifact-dir", "/b/artifacts", "--jobs",
                            "3", "--release", "--verbose"}));
  EXPECT_EQ(inv.collect_dir, "/b/artifacts");
}

TEST(BuilderArgv, CargoStableHasNoUnstableFlagsAndCollectsFromTargetDir) {
  const auto inv =
      invoke(settings(BuilderKind::cargo, "stable"), "x86_64-unknown-linux-gnu", FeatureSet::all);
  EXPECT_EQ(inv.argv, (Argv{"cargo", "+stable", "build", "--target", "x86_64-unknown-linux-gnu",
                            "--all-features", "--jobs", "3", "--release", "--verbose"}));
  EXPECT_EQ(inv.collect_dir, "/b/target/x86_64-unknown-linux-gnu/release");
}

TEST(BuilderArgv, CargoWithoutToolchainHasNoPlusArgument) {
  BuilderSettings s = settings(BuilderKind::cargo, "");
  s.cargo_program = "/usr/bin/cargo";
  s.offline = true;
  const auto inv = invoke(s, "aarch64-unknown-linux-gnu", FeatureSet::default_, true);
  EXPECT_EQ(inv.argv, (Argv{"/usr/bin/cargo", "build", "--target", "aarch64-unknown-linux-gnu", "--jobs", "3",
                            "--release", "--verbose", "--locked", "--offline"}));
  EXPECT_EQ(inv.collect_dir, "/b/target/aarch64-unknown-linux-gnu/release");
}

TEST(BuilderArgv, VersionedNightlyCountsAsNightly) {
  EXPECT_TRUE(forge::toolchain_is_nightly("nightly"));
  EXPECT_TRUE(forge::toolchain_is_nightly("nightly-2025-06-01"));
  EXPECT_TRUE(forge::toolchain_is_nightly("nightly-x86_64-unknown-linux-gnu"));
  EXPECT_FALSE(forge::toolchain_is_nightly("stable"));
  EXPECT_FALSE(forge::toolchain_is_nightly("1.95.0"));
  EXPECT_FALSE(forge::toolchain_is_nightly("beta"));
  EXPECT_FALSE(forge::toolchain_is_nightly(""));
}

TEST(BuilderArgv, DefaultJobsIsCoresPlusOne) {
  BuilderSettings s = settings(BuilderKind::cargo, "stable");
  s.jobs = 0;
  const auto inv = invoke(s, "x86_64", FeatureSet::all);
  const auto it = std::find(inv.argv.begin(), inv.argv.end(), "--jobs");
  ASSERT_NE(it, inv.argv.end());
  EXPECT_EQ(*(it + 1), std::to_string(std::thread::hardware_concurrency() + 1));
}

TEST(BuilderRustflags, MuslIsExactlyTheOriginal) {
  EXPECT_EQ(forge::rustflags_for(forge::resolve_target("x86_64"), ""), kOriginalMuslFlags);
  EXPECT_EQ(forge::rustflags_for(forge::resolve_target("aarch64-unknown-linux-musl"), ""),
            kOriginalMuslFlags);
}

TEST(BuilderRustflags, GnuHasNeitherSelfContainedNorDefaultLinkerLibraries) {
  // link-self-contained is musl-only (original pipeline); default-linker-libraries=yes makes a glibc
  // static-pie link libgcc_s and segfault at start-up.
  EXPECT_EQ(forge::rustflags_for(forge::resolve_target("x86_64-unknown-linux-gnu"), ""), kGnuFlags);
  EXPECT_EQ(forge::rustflags_for(forge::resolve_target("aarch64-unknown-linux-gnu"), ""), kGnuFlags);
}

TEST(BuilderRustflags, UserAdditionsComeLast) {
  EXPECT_EQ(forge::rustflags_for(forge::resolve_target("x86_64"), "-C target-cpu=x86-64-v2"),
            kOriginalMuslFlags + " -C target-cpu=x86-64-v2");
  BuilderSettings s = settings(BuilderKind::cargo, "stable");
  s.extra_rustflags = "-C target-feature=-crt-static";
  const auto inv = invoke(s, "x86_64-unknown-linux-gnu", FeatureSet::all);
  EXPECT_EQ(env_of(inv.env, "RUSTFLAGS"), kGnuFlags + " -C target-feature=-crt-static");
}

TEST(BuilderRustflags, ReproducibleRemapsBeforeUserFlagsAndSourceDateEpoch) {
  BuilderSettings s = settings(BuilderKind::cargo, "stable");
  s.remap_path_prefixes = {{"/cache/builds/hexyl-1", "/build"}, {"/root/.cargo", "/cargo"}, {"/a b", "/x"}};
  s.extra_rustflags = "--remap-path-prefix=/root/.cargo=/mine";
  s.source_date_epoch = 1700000000;
  const auto inv = invoke(s, "x86_64-unknown-linux-gnu", FeatureSet::all);
  // rustc applies the last matching mapping: the user's own comes after forge's. A path with a space
  // cannot go through the space-separated RUSTFLAGS and is left out.
  EXPECT_EQ(env_of(inv.env, "RUSTFLAGS"), kGnuFlags + " --remap-path-prefix=/cache/builds/hexyl-1=/build"
                                                      " --remap-path-prefix=/root/.cargo=/cargo"
                                                      " --remap-path-prefix=/root/.cargo=/mine");
  EXPECT_EQ(env_of(inv.env, "SOURCE_DATE_EPOCH"), "1700000000");
  EXPECT_FALSE(env_of(invoke(settings(BuilderKind::cargo, "stable"), "x86_64", FeatureSet::all).env,
                      "SOURCE_DATE_EPOCH"));
}

TEST(BuilderEnv, ReleaseProfileThroughCargoEnvironment) {
  for (const BuilderKind kind : {BuilderKind::cross, BuilderKind::zigbuild, BuilderKind::cargo}) {
    SCOPED_TRACE(forge::builder_name(kind));
    const auto inv = invoke(settings(kind, "nightly"), "aarch64", FeatureSet::all);
    EXPECT_EQ(env_of(inv.env, "CARGO_PROFILE_RELEASE_LTO"), "true");
    EXPECT_EQ(env_of(inv.env, "CARGO_PROFILE_RELEASE_OPT_LEVEL"), "3");
    EXPECT_EQ(env_of(inv.env, "CARGO_PROFILE_RELEASE_CODEGEN_UNITS"), "1");
    EXPECT_EQ(env_of(inv.env, "CARGO_PROFILE_RELEASE_STRIP"), "symbols");
    EXPECT_EQ(env_of(inv.env, "CARGO_PROFILE_RELEASE_DEBUG"), "false");
    EXPECT_EQ(env_of(inv.env, "OPENSSL_STATIC"), "1");
    EXPECT_EQ(env_of(inv.env, "RUST_MIN_STACK"), "33554432");
    EXPECT_EQ(env_of(inv.env, "CARGO_TARGET_DIR"), "/b/target");
    EXPECT_EQ(env_of(inv.env, "RUSTFLAGS"), kOriginalMuslFlags);
    // Empty means "remove": an inherited CARGO_ENCODED_RUSTFLAGS would make cargo ignore RUSTFLAGS.
    EXPECT_EQ(env_of(inv.env, "CARGO_ENCODED_RUSTFLAGS"), "");
  }
}

TEST(BuilderEnv, InheritedEncodedRustflagsIsRemovedFromTheChild) {
  ::setenv("CARGO_ENCODED_RUSTFLAGS", "-Cfoo", 1);
  const auto inv = invoke(settings(BuilderKind::cargo, "stable"), "x86_64", FeatureSet::all);
  const auto env = forge::make_environment(inv.env, true);
  ::unsetenv("CARGO_ENCODED_RUSTFLAGS");
  EXPECT_TRUE(std::none_of(env.begin(), env.end(), [](const std::string &kv) {
    return kv.rfind("CARGO_ENCODED_RUSTFLAGS=", 0) == 0;
  }));
  EXPECT_NE(std::find(env.begin(), env.end(), "OPENSSL_STATIC=1"), env.end());
}

TEST(BuilderEnv, LinkerOnlyForItsTarget) {
  BuilderSettings s = settings(BuilderKind::cargo, "");
  s.linkers = {{"aarch64-unknown-linux-gnu", "aarch64-linux-gnu-gcc"},
               {"riscv64gc-unknown-linux-musl", "riscv64-linux-musl-gcc"}};
  const auto arm = invoke(s, "aarch64-unknown-linux-gnu", FeatureSet::all);
  EXPECT_EQ(env_of(arm.env, "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER"), "aarch64-linux-gnu-gcc");
  EXPECT_FALSE(env_of(arm.env, "CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_MUSL_LINKER"));
  const auto rv = invoke(s, "riscv64", FeatureSet::all);
  EXPECT_EQ(env_of(rv.env, "CARGO_TARGET_RISCV64GC_UNKNOWN_LINUX_MUSL_LINKER"), "riscv64-linux-musl-gcc");
  const auto x86 = invoke(s, "x86_64", FeatureSet::all);
  EXPECT_TRUE(std::none_of(x86.env.begin(), x86.env.end(),
                           [](const auto &kv) { return kv.first.find("_LINKER") != std::string::npos; }));
}

TEST(BuilderNames, ParseAndPrint) {
  EXPECT_EQ(forge::parse_builder("cross"), BuilderKind::cross);
  EXPECT_EQ(forge::parse_builder("zigbuild"), BuilderKind::zigbuild);
  EXPECT_EQ(forge::parse_builder("cargo"), BuilderKind::cargo);
  for (const BuilderKind k : {BuilderKind::cross, BuilderKind::zigbuild, BuilderKind::cargo}) {
    EXPECT_EQ(forge::parse_builder(forge::builder_name(k)), k);
  }
  try {
    forge::parse_builder("docker");
    FAIL() << "no error";
  } catch (const forge::Error &e) {
    EXPECT_EQ(e.code(), forge::ExitCode::usage);
    EXPECT_NE(std::string(e.what()).find("docker"), std::string::npos);
  }
}

TEST(BuilderNames, FeatureModes) {
  EXPECT_EQ(forge::parse_feature_mode("all"), forge::FeatureMode::all);
  EXPECT_EQ(forge::parse_feature_mode("default"), forge::FeatureMode::default_);
  EXPECT_EQ(forge::parse_feature_mode("all-then-default"), forge::FeatureMode::all_then_default);
  EXPECT_THROW(forge::parse_feature_mode("none"), forge::Error);
  EXPECT_EQ(forge::feature_set_name(FeatureSet::all), "all");
  EXPECT_EQ(forge::feature_set_name(FeatureSet::default_), "default");
}

TEST(BuilderAuto, CrossNeedsBothProgramAndEngine) {
  const auto c = forge::choose_builder(true, true, true);
  EXPECT_EQ(c.kind, BuilderKind::cross);
  EXPECT_EQ(c.reason, "cross is installed and a container engine answers");
}

TEST(BuilderAuto, ZigbuildWhenCrossCannotRun) {
  const auto no_engine = forge::choose_builder(false, true, true);
  EXPECT_EQ(no_engine.kind, BuilderKind::zigbuild);
  EXPECT_EQ(no_engine.reason,
            "cross is installed but no container engine answers; cargo-zigbuild is installed");
  const auto no_cross = forge::choose_builder(true, false, true);
  EXPECT_EQ(no_cross.kind, BuilderKind::zigbuild);
  EXPECT_EQ(no_cross.reason, "cross is not installed; cargo-zigbuild is installed");
}

TEST(BuilderAuto, CargoAsTheLastResort) {
  const auto c = forge::choose_builder(false, false, false);
  EXPECT_EQ(c.kind, BuilderKind::cargo);
  EXPECT_EQ(c.reason, "cross is not installed; cargo-zigbuild is not installed: plain cargo");
  const auto engine_only = forge::choose_builder(true, false, false);
  EXPECT_EQ(engine_only.kind, BuilderKind::cargo);
  const auto cross_no_engine = forge::choose_builder(false, true, false);
  EXPECT_EQ(cross_no_engine.kind, BuilderKind::cargo);
  EXPECT_NE(cross_no_engine.reason.find("no container engine"), std::string::npos);
}

TEST(BuilderAuto, FindProgram) {
  EXPECT_EQ(forge::find_program("/bin/sh"), "/bin/sh");
  EXPECT_EQ(forge::find_program("/nonexistent/cross"), "");
  EXPECT_FALSE(forge::find_program("sh").empty());
  EXPECT_EQ(forge::find_program("forge-no-such-program-xyz"), "");
}

} // namespace
