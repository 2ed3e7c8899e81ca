// Why: a failed build is often one setting away from a good one (a shipped Cargo.lock that no longer
// resolves, a feature that does not build); each rung of this ladder changes one setting, only when the
// previous failure calls for it, so a good build costs nothing extra and the ladder always ends. Pure
// functions: every trigger is unit-tested without running cargo.
#pragma once
#include "forge/compile/build_result.hpp"
#include "forge/compile/builder.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace forge {

// The settings of one build attempt, and how it differs from the attempt before it.
struct AttemptPlan {
  FeatureSet features = FeatureSet::all;
  bool locked = false;
  std::string change; // what this attempt changed; empty for the first
  std::string why;    // the previous failure that called for the change
  std::string note;   // the build log's line announcing it
};

// The first attempt: all features unless `mode` is default-only; `locked` when a usable Cargo.lock is there.
AttemptPlan first_attempt(FeatureMode mode, bool locked);

// The attempt to make after `previous` failed with `failure` (whose attempt log is `log`), or nullopt when
// no rung applies: spurious failures (retried by `forge run`, not here), a missing builder, or nothing
// left to change. Each rung moves one setting one way only, so the ladder is finite.
std::optional<AttemptPlan> next_attempt(FeatureMode mode, const AttemptPlan &previous, const Failure &failure,
                                        std::string_view log);

} // namespace forge
