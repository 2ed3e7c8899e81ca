#include "forge/compile/attempt_ladder.hpp"

#include <gtest/gtest.h>

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

} // namespace
} // namespace forge
