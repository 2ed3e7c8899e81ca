#include "forge/compile/attempt_ladder.hpp"

#include "forge/compile/classify.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace forge {
namespace {

const char *kLockLog =
    "error: the lock file /b/src/fx/Cargo.lock needs to be updated but --locked was passed "
    "to prevent this\n";

TEST(CompileAttemptLadder, FirstAttemptFollowsTheFeatureMode) {
  EXPECT_EQ(first_attempt(FeatureMode::all_then_default, true).features, FeatureSet::all);
  EXPECT_EQ(first_attempt(FeatureMode::all, false).features, FeatureSet::all);
  EXPECT_EQ(first_attempt(FeatureMode::default_, true).features, FeatureSet::default_);
  EXPECT_TRUE(first_attempt(FeatureMode::all, true).locked);
  EXPECT_TRUE(first_attempt(FeatureMode::all, true).change.empty());
}

TEST(CompileAttemptLadder, AFailingFeatureSetFallsBackToDefaultFeatures) {
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true);
  const auto next = next_attempt(FeatureMode::all_then_default, first,
                                 Failure::of(Reason::compile_error, "error[E0425]"), "error[E0425]\n");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->features, FeatureSet::default_);
  EXPECT_TRUE(next->locked);
  EXPECT_EQ(next->note, "--all-features failed (compile-error); retrying with default features");
  EXPECT_NE(next->why.find("E0425"), std::string::npos);
  EXPECT_FALSE(
      next_attempt(FeatureMode::all_then_default, *next, Failure::of(Reason::compile_error, "x"), ""))
      << "nothing left to change";
  EXPECT_FALSE(next_attempt(FeatureMode::all, first, Failure::of(Reason::compile_error, "x"), ""))
      << "--features all has no fallback";
}

TEST(CompileAttemptLadder, ALockThatCannotResolveIsDroppedOnceThenFeaturesMove) {
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true);
  const Failure lock = Failure::of(Reason::dependency_resolution, "needs to be updated");
  const auto unlocked = next_attempt(FeatureMode::all_then_default, first, lock, kLockLog);
  ASSERT_TRUE(unlocked);
  EXPECT_FALSE(unlocked->locked);
  EXPECT_EQ(unlocked->features, FeatureSet::all);
  EXPECT_EQ(unlocked->note, "the shipped Cargo.lock is the problem: retrying without --locked");
  const auto third = next_attempt(FeatureMode::all_then_default, *unlocked, lock, kLockLog);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->locked) << "the lock stays dropped";
  EXPECT_EQ(third->features, FeatureSet::default_);
  EXPECT_FALSE(next_attempt(FeatureMode::all_then_default, *third, lock, kLockLog));
}

TEST(CompileAttemptLadder, ResolutionFailuresThatAreNotTheLockDoNotDropIt) {
  const AttemptPlan first = first_attempt(FeatureMode::default_, true);
  EXPECT_FALSE(next_attempt(FeatureMode::default_, first,
                            Failure::of(Reason::dependency_resolution, "no matching package named `x`"),
                            "error: no matching package named `x` found\n"));
}

TEST(CompileAttemptLadder, SpuriousFailuresAndAMissingBuilderEndTheLadder) {
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true);
  for (const Reason r :
       {Reason::timeout, Reason::out_of_memory, Reason::no_space, Reason::network, Reason::builder_missing}) {
    EXPECT_FALSE(next_attempt(FeatureMode::all_then_default, first, Failure::of(r, "x"), kLockLog)) << r;
  }
}

std::string read_fixture(const std::string &name) {
  std::ifstream in(std::filesystem::path(FORGE_TEST_DATA_DIR) / "logs" / name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(CompileAttemptLadder, ANightlyFeatureErrorMovesToStableOnceKeepingTheFeatures) {
  // Real log: proc-macro2 1.0.47's build script enables a feature this nightly removed (E0635).
  const std::string log = read_fixture("compile-error-5.log");
  const Failure f = classify_build_failure(ExitInfo{101, 0, false}, log);
  ASSERT_EQ(f.reason, Reason::compile_error);
  EXPECT_TRUE(nightly_feature_error(f, log));
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true, "nightly");
  EXPECT_EQ(first.toolchain, "nightly");
  const auto stable = next_attempt(FeatureMode::all_then_default, first, f, log);
  ASSERT_TRUE(stable);
  EXPECT_EQ(stable->toolchain, "stable");
  EXPECT_EQ(stable->features, FeatureSet::all);
  EXPECT_EQ(stable->change, "toolchain stable instead of nightly");
  EXPECT_NE(stable->note.find("proc-macro2"), std::string::npos) << stable->note;
  // The same error on stable is not the toolchain's: the features rung comes next.
  const auto after = next_attempt(FeatureMode::all_then_default, *stable, f, log);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->toolchain, "stable");
  EXPECT_EQ(after->features, FeatureSet::default_);
  // Other compile errors under nightly do not change the toolchain.
  const std::string other = read_fixture("compile-error-1.log");
  const Failure e = classify_build_failure(ExitInfo{101, 0, false}, other);
  EXPECT_FALSE(nightly_feature_error(e, other));
  EXPECT_EQ(next_attempt(FeatureMode::all_then_default, first, e, other)->toolchain, "nightly");
}

TEST(CompileAttemptLadder, UndefinedSymbolsFromAStaticArchiveAskForTheStaticClosureFirst) {
  // Real log: libpcap.a linked without libdbus-1 (pkg-config answered without --static).
  const std::string log = read_fixture("link-error-4.log");
  const Failure f = classify_build_failure(ExitInfo{101, 0, false}, log);
  ASSERT_EQ(f.reason, Reason::link_error);
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true, "stable");
  const auto closure = next_attempt(FeatureMode::all_then_default, first, f, log);
  ASSERT_TRUE(closure);
  EXPECT_EQ(closure->features, FeatureSet::all) << "the same feature set, before the features rung";
  EXPECT_EQ(closure->env, (std::vector<std::pair<std::string, std::string>>{{"PKG_CONFIG_ALL_STATIC", "1"}}));
  EXPECT_EQ(closure->change, "static closure: PKG_CONFIG_ALL_STATIC=1");
  // Still undefined with the closure: nothing new to add, so the features rung, keeping the closure.
  const auto features = next_attempt(FeatureMode::all_then_default, *closure, f, log);
  ASSERT_TRUE(features);
  EXPECT_EQ(features->features, FeatureSet::default_);
  EXPECT_EQ(features->env, closure->env);
  EXPECT_FALSE(next_attempt(FeatureMode::all_then_default, *features, f, log)) << "the ladder ends";
  // A link error that is not about unresolved symbols is not the closure's.
  EXPECT_TRUE(next_attempt(FeatureMode::all_then_default, first, Failure::of(Reason::link_error, "x"),
                           "collect2: error: ld returned 1 exit status\n")
                  ->env.empty());
}

TEST(CompileAttemptLadder, ANotStaticResultSetsTheSysCratesStaticSwitchesOnce) {
  Failure f = Failure::of(Reason::not_static, "dynamically linked: sqop needs libnettle.so.8, ...");
  f.libraries = {"libnettle.so.8", "libhogweed.so.6", "libgmp.so.10",
                 "libc.so.6",      "libm.so.6",       "ld-linux-x86-64.so.2"};
  EXPECT_EQ(static_switches(f.libraries),
            (std::vector<std::string>{"NETTLE_STATIC", "HOGWEED_STATIC", "GMP_STATIC"}));
  EXPECT_EQ(static_switches({"libdbus-1.so.3", "libstdc++.so.6"}),
            (std::vector<std::string>{"DBUS_1_STATIC", "STDC___STATIC"}));
  const AttemptPlan first = first_attempt(FeatureMode::all_then_default, true, "stable");
  const auto next = next_attempt(FeatureMode::all_then_default, first, f, "");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->features, FeatureSet::all);
  EXPECT_EQ(next->change,
            "static closure: PKG_CONFIG_ALL_STATIC=1 NETTLE_STATIC=1 HOGWEED_STATIC=1 GMP_STATIC=1");
  EXPECT_FALSE(next_attempt(FeatureMode::all_then_default, *next, f, ""))
      << "still dynamic with every switch set: not-static is final, the features rung does not apply";
}

} // namespace
} // namespace forge
